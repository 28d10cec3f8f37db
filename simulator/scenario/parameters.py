"""Scenario layer: every parameter of a scenario with its value, as a flat list.

Reports list the resolved scenario — defaults included, ``extends`` and
overrides applied — one key path per line (``run.warmup: 15w``), the
"every parameter with its value" of the STRESS-DES reporting checklist.
Durations and rates are written back with their units (they are stored in
minutes and per minute), which the field types tell apart from plain numbers.
"""

from __future__ import annotations

import datetime as dt
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, WithJsonSchema

from simulator.scenario.calendars import WEEKDAYS, Calendar
from simulator.scenario.errors import format_path
from simulator.scenario.schema import Scenario
from simulator.scenario.units import format_duration

__all__ = ["scenario_parameters"]

_RATE_UNITS = (("day", 1440.0), ("w", 10080.0), ("h", 60.0))


def _schema_unit(schema: dict[str, Any]) -> str | None:
    """The unit a field's JSON Schema (from :mod:`simulator.scenario.types`) stands for."""
    description = str(schema.get("description", ""))
    units = {"duration": description.startswith("A duration"),
             "rate": description.startswith("A rate"),
             "time of day": schema.get("pattern") == r"^\d{1,2}:\d{2}$",
             "weekdays": "Mon-Fri" in schema.get("examples", ())}
    return next((unit for unit, found in units.items() if found), None)


def _unit(annotation: Any, metadata: list[Any] | tuple[Any, ...] = ()) -> str | None:
    """``"duration"``, ``"rate"``, ``"time of day"``, ``"weekdays"`` or None: how the values of
    a field type are stored."""
    schemas = [item.json_schema for item in metadata
               if isinstance(item, WithJsonSchema) and isinstance(item.json_schema, dict)]
    found = next((unit for schema in schemas if (unit := _schema_unit(schema)) is not None), None)
    origin, args = get_origin(annotation), get_args(annotation)
    if found is None and origin is Annotated:
        found = _unit(args[0], args[1:])
    elif found is None and origin in (Union, types.UnionType):
        found = next((unit for arg in args if (unit := _unit(arg)) is not None), None)
    elif found is None and origin in (dict, tuple):
        found = _unit(args[-1] if origin is dict else args[0])
    return found




def _clock(minutes: float) -> str:
    return f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"


def _rate(per_minute: float) -> str:
    """A rate in the unit that makes it a whole number if one does (``15/w``), else per day."""
    for unit, minutes in _RATE_UNITS:
        amount = per_minute * minutes
        if amount >= 1 and abs(amount - round(amount)) < 1e-6:
            return f"{round(amount)}/{unit}"
    return f"{per_minute * _RATE_UNITS[0][1]:.6g}/day"


def _text(value: object, unit: str | None) -> str:
    if isinstance(value, float) and unit == "time of day":
        return _clock(value)
    if isinstance(value, float) and unit == "duration":
        return format_duration(value)
    if isinstance(value, float) and unit == "rate":
        return _rate(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _walk(value: object, path: tuple[str | int, ...], unit: str | None,
          rows: list[tuple[str, str]]) -> None:
    if isinstance(value, Calendar):
        for day, ranges in value.hours.items():
            hours = ", ".join(f"{_clock(start)}-{_clock(end)}" for start, end in ranges)
            rows.append((format_path((*path, "hours", day)), hours or "closed"))
        rows.append((format_path((*path, "holidays")),
                     "[" + ", ".join(day.isoformat() for day in value.holidays) + "]"))
    elif isinstance(value, BaseModel):
        fields = type(value).model_fields
        for name, info in fields.items():
            key = info.alias or name
            _walk(getattr(value, name), (*path, key), _unit(info.annotation, info.metadata), rows)
    elif isinstance(value, dict):
        if not value:
            rows.append((format_path(path), "{}"))
        for key, item in value.items():
            _walk(item, (*path, str(key)), unit, rows)
    elif isinstance(value, tuple | list) and any(isinstance(item, BaseModel | dict | tuple | list)
                                                for item in value):
        for index, item in enumerate(value):
            _walk(item, (*path, index), unit, rows)
    elif isinstance(value, tuple) and unit == "weekdays":
        rows.append((format_path(path), ",".join(WEEKDAYS[int(day)] for day in value)))
    elif isinstance(value, tuple | list):
        rows.append((format_path(path), "[" + ", ".join(_text(item, unit) for item in value) + "]"))
    elif value is not None:
        rows.append((format_path(path), _text(value, unit)))


def scenario_parameters(scenario: Scenario) -> list[tuple[str, str]]:
    """Every set parameter of the scenario as (key path, value with its unit), in schema order.

    Keys left unset (``None``) are omitted; empty sections are shown as ``{}``.
    """
    rows: list[tuple[str, str]] = []
    _walk(scenario, (), None, rows)
    return rows
