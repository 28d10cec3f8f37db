"""Scenario layer: changes to scenario data before it is validated — ``extends`` and ``--set``.

Both work on the data as read from YAML, guided by the schema's types along the
key path, so that a typo is an error rather than a silent new entry:

* a mapping that names things (teams, priorities, arrival streams, services,
  calendars, resolver groups, problem families: marked :class:`~simulator.scenario.types.Names`
  in the schema) may have its entries changed by ``--set``, not new ones made; a
  name that is not there is reported with the names that are and the closest one;
* a key of a section must be one of the section's keys ("did you mean");
* list items are addressed by index or by name: ``teams.service_desk.roster.late.headcount=5``
  (a shift without a name is ``shift1``, ``shift2``… in roster order);
* of keys that exclude each other (a team's ``agents`` or ``roster``, the run's
  ``horizon`` or ``measure``), the one given last wins: the others are dropped;
* ``extends`` cannot be overridden: it is resolved before overrides apply.

Every path goes through :func:`apply_overrides`: ``--set``, ``--vary``, ``--grid``
and sensitivity ranges alike.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from simulator.scenario.errors import Problem, ScenarioError, describe
from simulator.scenario.schema import UNNAMED_SHIFT, Scenario, Shift
from simulator.scenario.typepath import closest, field_info, model_for, unknown_key, unwrap
from simulator.scenario.types import Names
from simulator.scenario.yamltext import yaml_value

__all__ = ["apply_overrides", "merge_data"]

#: How many names a message lists before "…".
_LISTED = 12


@dataclass(frozen=True)
class _Place:
    """The schema's type at a place in the data, and its marker if it is a mapping of names."""

    annotation: Any
    names: Names | None = None

    def child(self, data: object, key: object) -> _Place:
        """The place one key (or list index) below this one."""
        model = model_for(self.annotation, data)
        if model is not None:
            field = field_info(model, key)
            return _field_place(field) if field is not None else _Place(None)
        annotation = unwrap(self.annotation)
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is dict:
            return _Place(args[1])
        if origin in (list, tuple):
            return _Place(args[0])
        return _Place(None)


def _field_place(field: FieldInfo) -> _Place:
    names = next((item for item in field.metadata if isinstance(item, Names)), None)
    return _Place(field.annotation, names)


class _RefusedError(Exception):
    """A path step that cannot be taken; the message says what was expected and found."""


def _listed(options: list[str]) -> str:
    shown = ", ".join(options[:_LISTED]) + (", …" if len(options) > _LISTED else "")
    return shown or "none"


def _hint(name: str, options: list[str]) -> str:
    near = closest(name, options)
    return f" (did you mean {near!r}?)" if near else ""


def _matching_key(node: dict[Any, Any], key: str) -> Any:
    # YAML keys may be numbers (impact levels); the override path is text.
    return next((existing for existing in node if str(existing) == key), None)


def _dict_key(node: dict[Any, Any], place: _Place, key: str) -> Any:
    """The key of ``node`` that ``key`` names, or ``key`` itself where a new one may be made."""
    match = _matching_key(node, key)
    model = model_for(place.annotation, node)
    if model is not None and field_info(model, key) is None:
        options = [field.alias or name for name, field in model.model_fields.items()]
        raise _RefusedError(unknown_key(key, options))
    if match is None and place.names is not None:
        options = [str(name) for name in node]
        kind = place.names.kind
        raise _RefusedError(f"expected the name of a {kind} of the scenario ({_listed(options)}); "
                            f"found {key!r}{_hint(key, options)} (--set changes what is there; "
                            f"to add a {kind}, write a scenario file that extends this one)")
    return key if match is None else match


def _item_type(place: _Place) -> Any:
    args = get_args(unwrap(place.annotation))
    return unwrap(args[0]) if args else None


def _item_names(items: list[Any], place: _Place) -> list[str | None]:
    unnamed = UNNAMED_SHIFT if _item_type(place) is Shift else None
    names: list[str | None] = []
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        names.append(str(name) if name is not None else
                     unnamed.format(number=index + 1) if unnamed else None)
    return names


def _list_index(items: list[Any], place: _Place, key: str) -> int:
    """The index ``key`` names in a list: a number, or the name of an item."""
    if key.isdigit() and int(key) < len(items):
        return int(key)
    names = _item_names(items, place)
    if key in names:
        return names.index(key)
    known = [name for name in names if name is not None]
    if not known or key.isdigit():
        raise _RefusedError(f"expected a list index below {len(items)}; found {key!r}")
    model = _item_type(place)
    kind = model.__name__.lower() if isinstance(model, type) else "list item"
    raise _RefusedError(f"expected the name of a {kind} ({_listed(known)}) or an index below "
                        f"{len(items)}; found {key!r}{_hint(key, known)}")


def _default_data(place: _Place, node: dict[Any, Any], key: Any) -> Any:
    """What a section missing from the data stands for: its default, as data (``priorities``
    defaults to P1–P4, so ``--set priorities.P1.response=15m`` keeps P2–P4)."""
    model = model_for(place.annotation, node)
    field = field_info(model, key) if model is not None else None
    if field is None or field.is_required():
        return {}
    default = field.get_default(call_default_factory=True)
    return _as_data(default) if default is not None else {}


def _as_data(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_defaults=True, by_alias=True)
    if isinstance(value, dict):
        return {key: _as_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_data(item) for item in value]
    return value


def _descend(node: Any, place: _Place, key: str, following: str) -> tuple[Any, _Place]:
    """The child ``key`` of ``node`` (made from its default if missing), and its place."""
    if isinstance(node, dict):
        found = _dict_key(node, place, key)
        child_place = place.child(node, found)
        if node.get(found) is None:
            default = _default_data(place, node, found)
            wants_list = get_origin(unwrap(child_place.annotation)) in (list, tuple)
            if (following.isdigit() or wants_list) and not isinstance(default, list):
                item = following if following.isdigit() else repr(following)
                raise _RefusedError(f"expected an existing list to take item {item} of; "
                                    f"found no {key!r} here")
            node[found] = default
        child = node[found]
    elif isinstance(node, list):
        index = _list_index(node, place, key)
        child, child_place = node[index], place.child(node, index)
    else:
        raise _RefusedError(f"expected a section with keys below it; found the value {describe(node)}")
    if not isinstance(child, dict | list):
        raise _RefusedError(f"expected a section with keys below it; found the value {describe(child)}")
    return child, child_place


def _drop_alternatives(node: dict[Any, Any], place: _Place, key: Any) -> None:
    """Of keys that exclude each other, keep only ``key``: the last word wins."""
    model = model_for(place.annotation, node)
    exclusive = getattr(model, "EXCLUSIVE_KEYS", ())
    for group in exclusive:
        if key in group:
            for other in group:
                if other != key:
                    node.pop(other, None)


def _assign(node: Any, place: _Place, key: str, value: object) -> None:
    if isinstance(node, dict):
        found = _dict_key(node, place, key)
        _drop_alternatives(node, place, found)
        node[found] = value
    elif isinstance(node, list):
        node[_list_index(node, place, key)] = value
    else:
        raise _RefusedError(f"expected a section or list to set {key!r} in; found {describe(node)}")


def _split_path(path: str) -> list[str]:
    # Target names contain dots themselves ("P2.sla_response_attainment"): after "targets."
    # the rest of the path is one key.
    if path.startswith("targets."):
        return ["targets", path.removeprefix("targets.")]
    return [part for part in re.split(r"\.|\[(\d+)\]", path) if part]


def _apply_one(data: Any, keys: list[str], value: object) -> tuple[tuple[str, ...], str] | None:
    """Set one path; return the key path reached and why not, if it could not be set."""
    node, place = data, _Place(Scenario)
    for depth, key in enumerate(keys[:-1]):
        try:
            node, place = _descend(node, place, key, keys[depth + 1])
        except _RefusedError as refused:
            return tuple(keys[: depth + 1]), str(refused)
    try:
        _assign(node, place, keys[-1], value)
    except _RefusedError as refused:
        return tuple(keys), str(refused)
    return None


def apply_overrides(data: object, overrides: Iterable[str]) -> tuple[Any, dict[tuple[str, ...], str]]:
    """Apply ``path=value`` overrides to a copy of the data; values are read as YAML.

    Returns the new data and, for each overridden key path, the option text.

    Raises
    ------
    ScenarioError
        One problem per override that names nothing the scenario has (with the closest name),
        tries to change ``extends``, or is not ``PATH=VALUE``.
    """
    result = copy.deepcopy(data)
    applied: dict[tuple[str, ...], str] = {}
    problems: list[Problem] = []
    for expression in overrides:
        path_text, equals, value_text = expression.partition("=")
        keys = _split_path(path_text.strip())
        source = f"--set {expression}"
        if not equals or not keys:
            problems.append(Problem((), "expected PATH=VALUE such as "
                                        "'teams.service_desk.roster.late.headcount=5'; "
                                        f"found {expression!r}", source))
        elif keys[0] == "extends":
            problems.append(Problem(("extends",), "expected a key --set can change; found "
                                                  "'extends', which is read before overrides "
                                                  "apply (write a scenario file that extends "
                                                  "another instead)", source))
        elif not isinstance(result, dict):
            problems.append(Problem((), "expected a scenario to override; found "
                                        f"{describe(result)}", source))
        else:
            refused = _apply_one(result, keys, yaml_value(value_text, source))
            if refused is not None:
                problems.append(Problem(refused[0], refused[1], source))
            else:
                applied[tuple(keys)] = expression
    if problems:
        raise ScenarioError(problems)
    return result, applied


def merge_data(base: dict[Any, Any], changes: dict[Any, Any], place: _Place | None = None
               ) -> dict[Any, Any]:
    """``changes`` over ``base`` (a file that extends another): sections merge key by key, any
    other value replaces, and of keys that exclude each other the one ``changes`` gives wins."""
    place = place or _Place(Scenario)
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        _drop_alternatives(merged, place, key)
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_data(merged[key], value, place.child(merged, key))
        else:
            merged[key] = copy.deepcopy(value)
    return merged
