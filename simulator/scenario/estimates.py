"""Scenario layer: prices written with their uncertainty and their source.

A price in a scenario (a cost per minute of downtime, an hourly cost, a penalty,
what the major-incident process costs) is a number, or a mapping that says how
sure it is and where it comes from::

    downtime_cost: 5600                                     # a number
    hourly_cost: {value: 45, source: "BLS ECEC Dec 2024"}   # a number with its source
    downtime_cost: {min: 2300, mode: 5600, max: 9000,       # a range: triangular by default,
                    dist: pert, source: "Gartner 2014"}     # or pert, or uniform (no mode)

Whatever is written, the scenario holds a number — an :class:`Estimate`, a ``float``
that also carries its range, shape and source — so a single run prices with the
*base value* (the mode; the middle of a uniform range) and every consumer reads
it as the number it always was. The ROI study (:mod:`simulator.experiment.uncertainty`)
draws from the ranges. Prices never change what the simulation does; they only
turn its minutes, hours and counts into money.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import PlainSerializer, ValidatorFunctionWrapHandler, WithJsonSchema, WrapValidator

from simulator.scenario.types import problem

__all__ = ["SHAPES", "Estimate", "Money", "Share"]

#: The shapes a range may have (a fixed value has the shape "fixed").
SHAPES = ("triangular", "pert", "uniform")
_KEYS = ("min", "mode", "max", "dist", "source", "value")


class Estimate(float):
    """A price as a number (its base value) that also knows its range and its source.

    ``low``, ``mode`` and ``high`` bound the range (all equal for a fixed value with a
    source); ``shape`` is ``triangular``, ``pert``, ``uniform`` or ``fixed``.
    """

    __slots__ = ("high", "low", "mode", "shape", "source")
    low: float
    mode: float | None
    high: float
    shape: str
    source: str | None

    def __new__(cls, base: float, low: float, mode: float | None, high: float, shape: str,
                source: str | None) -> Estimate:
        self = super().__new__(cls, base)
        for name, value in (("low", low), ("mode", mode), ("high", high), ("shape", shape),
                            ("source", source)):
            object.__setattr__(self, name, value)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"an Estimate is immutable (tried to set {name})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Estimate, (float(self), self.low, self.mode, self.high, self.shape, self.source))

    def __repr__(self) -> str:
        return f"Estimate({self.document()!r})"

    @property
    def uncertain(self) -> bool:
        """Whether it is a range (not a fixed value with a source)."""
        return self.shape != "fixed"

    def document(self) -> dict[str, object]:
        """The mapping as written in a scenario file."""
        if not self.uncertain:
            return {"value": float(self), "source": self.source}
        written: dict[str, object] = {"min": self.low}
        if self.mode is not None:
            written["mode"] = self.mode
        written |= {"max": self.high, "dist": self.shape}
        if self.source is not None:
            written["source"] = self.source
        return written


def _number(value: object, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise problem("estimate", f"expected a finite number for {key!r}; found {value!r}")
    if not low <= value <= high:
        bounds = f"between {low:g} and {high:g}" if math.isfinite(high) else f"of {low:g} or more"
        raise problem("estimate", f"expected {key} {bounds}; found {value!r}")
    return float(value)


def _unknown(keys: list[str]) -> None:
    for key in keys:
        if key not in _KEYS:
            close = difflib.get_close_matches(key, _KEYS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise problem("estimate", f"unknown key {key!r}: {hint}expected min, mode, max, dist "
                                      f"and source (a range), or value and source")


def _source(data: Mapping[str, object]) -> str | None:
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        raise problem("estimate", f"expected the source as text; found {source!r}")
    return source


def _shape(data: Mapping[str, object]) -> str:
    shape = data.get("dist", "triangular" if "mode" in data else "uniform")
    if shape not in SHAPES:
        raise problem("estimate", f"expected dist triangular, pert or uniform; found {shape!r}")
    assert isinstance(shape, str)
    if shape == "uniform" and "mode" in data:
        raise problem("estimate", "expected no mode for a uniform range (it is flat between min "
                                  f"and max); found mode {data['mode']!r}")
    if shape != "uniform" and "mode" not in data:
        raise problem("estimate", f"expected a mode for a {shape} range; found none")
    return shape


def _range(data: Mapping[str, object], low: float, high: float) -> Estimate:
    if "min" not in data or "max" not in data:
        missing = "min" if "min" not in data else "max"
        raise problem("estimate", f"expected min and max for a range (or value for a fixed "
                                  f"number); found no {missing}")
    shape = _shape(data)
    minimum, maximum = _number(data["min"], "min", low, high), _number(data["max"], "max", low, high)
    if not minimum < maximum:
        raise problem("estimate", f"expected min below max; found min {minimum:g}, max {maximum:g}")
    mode = None if shape == "uniform" else _number(data["mode"], "mode", low, high)
    if mode is not None and not minimum <= mode <= maximum:
        side = f"below min {minimum:g}" if mode < minimum else f"above max {maximum:g}"
        raise problem("estimate", f"expected the mode between min and max; found mode {mode:g} "
                                  f"{side}")
    base = (minimum + maximum) / 2 if mode is None else mode
    return Estimate(base, minimum, mode, maximum, shape, _source(data))


def parse_estimate(data: Mapping[str, object], low: float = 0.0,
                   high: float = math.inf) -> Estimate:
    """An :class:`Estimate` from its mapping (see the module's notes); values in [low, high]."""
    _unknown([str(key) for key in data])
    if "value" in data:
        extra = sorted(set(data) - {"value", "source"})
        if extra:
            raise problem("estimate", "expected either value (a fixed number) or min and max (a "
                                      f"range); found value with {', '.join(extra)}")
        value = _number(data["value"], "value", low, high)
        return Estimate(value, value, value, value, "fixed", _source(data))
    return _range(data, low, high)


def _validator(low: float, high: float, what: str) -> Callable[[object, ValidatorFunctionWrapHandler], float]:
    def validate(value: object, handler: ValidatorFunctionWrapHandler) -> float:
        if isinstance(value, Estimate):
            return value
        if isinstance(value, Mapping):
            return parse_estimate(value, low, high)
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value) or not low <= value <= high:
            raise problem("estimate", f"expected {what}, or a range {{min, mode, max, source}}; "
                                      f"found {value!r}")
        return float(handler(value))

    return validate


def _written(value: float) -> object:
    return value.document() if isinstance(value, Estimate) else value


def _schema(minimum: float, maximum: float | None) -> dict[str, object]:
    number: dict[str, object] = {"type": "number", "minimum": minimum}
    if maximum is not None:
        number["maximum"] = maximum
    return {"anyOf": [number, {"type": "object", "additionalProperties": False, "properties": {
        "min": number, "mode": number, "max": number, "value": number,
        "dist": {"enum": list(SHAPES)}, "source": {"type": "string"}}}]}


#: Money (per minute, per hour, per breach, per year, ...): zero or more, or a range.
Money = Annotated[float, WrapValidator(_validator(0.0, math.inf, "an amount of zero or more")),
                  PlainSerializer(_written, when_used="json"), WithJsonSchema(_schema(0, None))]
#: A share between 0 and 1 that only prices (e.g. of users' work an outage blocks), or a range.
Share = Annotated[float, WrapValidator(_validator(0.0, 1.0, "a share between 0 and 1")),
                  PlainSerializer(_written, when_used="json"), WithJsonSchema(_schema(0, 1))]
