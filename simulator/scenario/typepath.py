"""Scenario layer: following a validation error's location through the schema's types.

Pydantic reports where an error is as a location tuple that also contains
internal steps (the tag of a tagged union such as ``dist: lognormal``). This
module walks the scenario's type annotations along such a location to give the
user the key path they wrote, and to list the keys that are valid at a place
(for "did you mean" hints).
"""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Tag
from pydantic.fields import FieldInfo

from simulator.scenario.errors import PathPart

__all__ = ["allowed_keys", "closest", "field_info", "model_for", "unknown_key", "unwrap", "user_path"]


def unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` wrappers."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _union_members(annotation: Any) -> list[type[BaseModel]]:
    if get_origin(annotation) in (Union, types.UnionType):
        return [arg for arg in get_args(annotation)
                if isinstance(arg, type) and issubclass(arg, BaseModel)]
    return []


def _tagged_member(annotation: Any, tag: object) -> type[BaseModel] | None:
    for member in _union_members(annotation):
        field = member.model_fields.get("dist")
        if field is not None and tag in get_args(field.annotation):
            return member
    return None


def _tagged_annotation(annotation: Any, tag: object) -> Any:
    """The member of a union discriminated by ``Tag`` metadata (e.g. a rate's amount or parts)."""
    if get_origin(annotation) not in (Union, types.UnionType):
        return None
    for arg in get_args(annotation):
        if get_origin(arg) is Annotated and any(isinstance(meta, Tag) and meta.tag == tag
                                                for meta in get_args(arg)[1:]):
            return get_args(arg)[0]
    return None


def _field_by_key(model: type[BaseModel], key: object) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field.annotation
    return None


def _step(annotation: Any, part: object) -> tuple[Any, bool]:
    """Follow one location part; return the next annotation and whether the user wrote it."""
    annotation = unwrap(annotation)
    member = _tagged_member(annotation, part)
    if member is not None:
        return member, False
    tagged = _tagged_annotation(annotation, part)
    if tagged is not None:
        return tagged, False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _field_by_key(annotation, part), True
    origin = get_origin(annotation)
    if origin is dict:
        return get_args(annotation)[1], True
    if origin in (list, tuple):
        return get_args(annotation)[0], True
    return None, True


def user_path(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[PathPart, ...]:
    """The key path the user wrote, from a pydantic error location."""
    path: list[PathPart] = []
    annotation: Any = model
    for part in loc:
        if annotation is None:
            path.append(part if isinstance(part, int) else str(part))
            continue
        annotation, written = _step(annotation, part)
        if written and not (isinstance(part, str) and part.startswith(("function-", "["))):
            path.append(part if isinstance(part, int) else str(part))
    return tuple(path)


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a mapping at ``loc`` may have (empty when it is free-form)."""
    annotation: Any = model
    for part in loc:
        annotation, _ = _step(annotation, part)
        if annotation is None:
            return []
    annotation = unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [field.alias or name for name, field in annotation.model_fields.items()]
    return []


def field_info(model: type[BaseModel], key: object) -> FieldInfo | None:
    """The field a key of ``model`` names (by name or alias), or None."""
    return next((field for name, field in model.model_fields.items() if key in (name, field.alias)),
                None)


def model_for(annotation: Any, data: object) -> type[BaseModel] | None:
    """The model that validates ``data`` at a place of this type: the type itself, or the member
    of a tagged union (``dist: lognormal``) that the data's tag chooses; None if neither."""
    annotation = unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(data, dict):
        return _tagged_member(annotation, data.get("dist"))
    return None


def closest(name: str, options: list[str]) -> str | None:
    """The option most like ``name`` (a typo's intended word), if any is close."""
    match = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    return match[0] if match else None


def unknown_key(name: str, options: list[str]) -> str:
    """"unknown key 'horizn': did you mean 'horizon'? expected one of ..."."""
    near = closest(name, options)
    hint = f"did you mean {near!r}? " if near else ""
    return f"unknown key {name!r}: {hint}expected one of {', '.join(options)}"


