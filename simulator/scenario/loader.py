"""Scenario layer: reading scenario files, applying overrides, reporting problems.

:func:`load_scenario` is the one way in: it reads YAML (remembering the line of
every key), applies ``--set path=value`` overrides, validates the result into a
:class:`~simulator.scenario.schema.Scenario`, and turns every validation error
into a :class:`~simulator.scenario.errors.Problem` with the file, line, key
path, what was expected and what was found (with a "did you mean" for unknown
keys). Nothing here mutates a scenario: overrides build a new one.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pydantic
import yaml

from simulator.scenario.distributions import DISTRIBUTION_NAMES
from simulator.scenario.errors import PathPart, Problem, ScenarioError
from simulator.scenario.schema import Scenario
from simulator.scenario.typepath import allowed_keys, user_path

__all__ = [
    "apply_overrides",
    "load_scenario",
    "parse_scenario",
    "read_yaml",
    "scenario_hash",
]


class _Loader(yaml.SafeLoader):
    """YAML 1.1 without its sexagesimal numbers, so that ``end: 16:00`` stays a time."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
               r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))

LineMap = dict[tuple[str, ...], int]
#: Where each key path was written: (file, line) — a scenario may extend another file.
Places = dict[tuple[str, ...], tuple[str, int]]


def _key_text(part: PathPart) -> str:
    return str(part)


def _walk(node: yaml.Node, path: tuple[str, ...], lines: LineMap,
          problems: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            here = (*path, key)
            if key in seen:
                problems.append(Problem(here, "expected each key once; found it again (a duplicate "
                                              "key: the earlier value would be ignored)",
                                        line=key_node.start_mark.line + 1))
            seen.add(key)
            lines[here] = key_node.start_mark.line + 1
            _walk(value_node, here, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*path, str(index))
            lines[here] = item.start_mark.line + 1
            _walk(item, here, lines, problems)


def read_yaml(text: str, source: str) -> tuple[Any, LineMap]:
    """Parse YAML text; return the data and the line of every key path."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        raise ScenarioError([Problem((), f"expected valid YAML; found a syntax error: {reason}",
                                     source, line)]) from None
    lines: LineMap = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), lines, problems)
    if problems:
        raise ScenarioError(item.located(source, item.line) for item in problems)
    return data, lines


def _place_of(path: Sequence[PathPart], places: Places) -> tuple[str, int] | None:
    keys = tuple(_key_text(part) for part in path)
    for length in range(len(keys), 0, -1):
        if keys[:length] in places:
            return places[keys[:length]]
    return None


def _describe(value: object) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_key(error: Any, loc: tuple[Any, ...]) -> str:
    options = allowed_keys(Scenario, loc[:-1])
    name = str(loc[-1])
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key {name!r}: {hint}expected one of {', '.join(options)}"


def _bad_distribution(error: Any, loc: tuple[Any, ...]) -> str:
    tags = ", ".join(repr(name) for name in DISTRIBUTION_NAMES)
    found = error.get("ctx", {}).get("tag")
    if found is not None:
        return f"expected 'dist' to be one of {tags}; found {found!r}"
    return (f"expected a 'dist' key naming the distribution ({tags}) or a duration such as "
            f"'10m'; found {_describe(error['input'])}")


_SPECIAL_MESSAGES = {
    "extra_forbidden": _unknown_key,
    "missing": lambda error, loc: "expected this key (it is required); found nothing",
    "union_tag_invalid": _bad_distribution,
    "union_tag_not_found": _bad_distribution,
}


def _message(error: Any, loc: tuple[Any, ...]) -> str:
    """One pydantic error as "expected ...; found ..."."""
    special = _SPECIAL_MESSAGES.get(error["type"])
    if special is not None:
        return special(error, loc)
    message = str(error["msg"])
    if message.startswith(("Value error, ", "Assertion failed, ")):
        message = message.split(", ", 1)[1]
    elif message.startswith("Input should be"):
        message = message.replace("Input should be", "expected", 1)
    if "found" in message or isinstance(error["input"], dict):
        return message  # a section's own check says what it found; the whole section would not
    return f"{message}; found {_describe(error['input'])}"


def _problems_from(error: pydantic.ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        path = user_path(Scenario, loc)
        problems.append(Problem(path, _message(item, loc)))
    return problems


def parse_scenario(data: object, source: str = "<scenario>", places: Places | None = None,
                   overridden: dict[tuple[str, ...], str] | None = None) -> Scenario:
    """Validate already-parsed data into a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        With one :class:`Problem` per mistake, placed in ``source`` at the line
        of its key (or in the ``--set`` option that introduced it).
    """
    places = places or {}
    overridden = overridden or {}
    if not isinstance(data, dict):
        raise ScenarioError([Problem((), f"expected a mapping of sections (run, arrivals, teams, "
                                         f"flow, ...); found {_describe(data)}", source, 1)])
    try:
        return Scenario.model_validate(data)
    except pydantic.ValidationError as error:
        problems = _problems_from(error)
    except ScenarioError as error:
        problems = list(error.problems)
    placed = []
    for item in problems:
        keys = tuple(_key_text(part) for part in item.path)
        option = next((expression for prefix, expression in overridden.items()
                       if keys[: len(prefix)] == prefix or prefix[: len(keys)] == keys), None)
        place = _place_of(item.path, places)
        if option is not None:
            placed.append(item.located(f"--set {option}", None))
        elif place is not None:
            placed.append(item.located(*place))
        else:
            placed.append(item.located(source, None))
    raise ScenarioError(placed)


def _split_path(path: str) -> list[str]:
    # Target names contain dots themselves ("P2.sla_response_attainment"): after "targets."
    # the rest of the path is one key.
    if path.startswith("targets."):
        return ["targets", path.removeprefix("targets.")]
    return [part for part in re.split(r"\.|\[(\d+)\]", path) if part]


def apply_overrides(data: object, overrides: Iterable[str]) -> tuple[Any, dict[tuple[str, ...], str]]:
    """Apply ``path=value`` overrides to a copy of the data; values are read as YAML.

    Returns the new data and, for each overridden key path, the option text.
    """
    result = copy.deepcopy(data)
    applied: dict[tuple[str, ...], str] = {}
    problems: list[Problem] = []
    for expression in overrides:
        path_text, equals, value_text = expression.partition("=")
        keys = _split_path(path_text.strip())
        source = f"--set {expression}"
        if not equals or not keys:
            problems.append(Problem((), "expected PATH=VALUE such as 'teams.L2.agents=6'; "
                                        f"found {expression!r}", source))
            continue
        try:
            value = yaml.load(value_text, Loader=_Loader)
        except yaml.YAMLError:
            value = value_text
        node = result
        for depth, key in enumerate(keys[:-1]):
            node, error = _descend(node, key, keys[depth + 1])
            if error:
                problems.append(Problem(tuple(keys[: depth + 1]), error, source))
                break
        else:
            error = _assign(node, keys[-1], value)
            if error:
                problems.append(Problem(tuple(keys), error, source))
            else:
                applied[tuple(keys)] = expression
    if problems:
        raise ScenarioError(problems)
    return result, applied


def _descend(node: Any, key: str, following: str) -> tuple[Any, str | None]:
    """The child ``key`` of ``node`` (made if missing, unless a list index follows), or an error."""
    child: Any = None
    if isinstance(node, dict):
        match = _matching_key(node, key)
        if match is None and following.isdigit():
            return None, f"expected an existing list to take item {following} of; found no {key!r} here"
        if match is None:
            node[key] = child = {}
        else:
            child = node[match]
    elif isinstance(node, list):
        if not key.isdigit() or int(key) >= len(node):
            return None, f"expected a list index below {len(node)}; found {key!r}"
        child = node[int(key)]
    if not isinstance(child, dict | list):
        return None, f"expected a section with keys below it; found the value {_describe(child)}"
    return child, None


def _assign(node: Any, key: str, value: object) -> str | None:
    if isinstance(node, dict):
        node[_matching_key(node, key) if _matching_key(node, key) is not None else key] = value
        return None
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        node[int(key)] = value
        return None
    return f"expected a section or list to set {key!r} in; found {_describe(node)}"


def _matching_key(node: dict[Any, Any], key: str) -> Any:
    # YAML keys may be numbers (impact levels); the override path is text.
    return next((existing for existing in node if str(existing) == key), None)


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, override and validate a scenario file.

    Parameters
    ----------
    path
        A YAML scenario file.
    overrides
        ``"path=value"`` texts as given to ``--set`` (value read as YAML).

    Raises
    ------
    ScenarioError
        If the file is missing or unreadable, or the scenario has any problem.
    """
    data, places = _read_file(Path(path), ())
    data, overridden = apply_overrides(data, overrides)
    return parse_scenario(data, str(path), places, overridden)


def _read_text(path: Path, problem_at: Problem | None) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        found = Problem((), "expected a scenario file; found no file at this path", str(path))
    except (OSError, UnicodeDecodeError) as error:
        found = Problem((), f"expected a readable UTF-8 text file; found {error}", str(path))
    if problem_at is not None:
        found = replace(problem_at, message=f"expected a scenario file to extend; found no "
                                            f"readable file at {path}")
    raise ScenarioError([found])


def _read_file(path: Path, chain: tuple[Path, ...],
               extends_at: Problem | None = None) -> tuple[Any, Places]:
    """A scenario file's data, with ``extends:`` resolved, and where each key was written."""
    source = str(path)
    data, lines = read_yaml(_read_text(path, extends_at), source)
    places: Places = {keys: (source, line) for keys, line in lines.items()}
    if not isinstance(data, dict) or "extends" not in data:
        return data, places
    base_name = data.pop("extends")
    here = Problem(("extends",), "", source, lines.get(("extends",)))
    if not isinstance(base_name, str):
        raise ScenarioError([replace(here, message=f"expected the path of a scenario file; found "
                                                   f"{_describe(base_name)}")])
    base_path = (path.parent / base_name).resolve()
    if base_path in chain or base_path == path.resolve():
        raise ScenarioError([replace(here, message=f"expected a chain of files that ends; found "
                                                   f"{base_name!r} extending itself")])
    base, base_places = _read_file(base_path, (*chain, path.resolve()), here)
    if not isinstance(base, dict):
        raise ScenarioError([replace(here, message=f"expected {base_name!r} to be a scenario "
                                                   f"(a mapping of sections); found {_describe(base)}")])
    return _merge(base, data), base_places | places


def _merge(base: dict[Any, Any], changes: dict[Any, Any]) -> dict[Any, Any]:
    """``changes`` over ``base``: sections merge key by key; any other value replaces."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def scenario_hash(scenario: Scenario) -> str:
    """A SHA-256 of the scenario's resolved content (units already in minutes)."""
    canonical = json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
