"""Scenario layer: reading scenario files, applying overrides, reporting problems.

:func:`load_scenario` is the one way in: it reads YAML (remembering the line of
every key), applies ``--set path=value`` overrides, validates the result into a
:class:`~simulator.scenario.schema.Scenario`, and turns every validation error
into a :class:`~simulator.scenario.errors.Problem` with the file, line, key
path, what was expected and what was found (with a "did you mean" for unknown
keys). Nothing here mutates a scenario: overrides build a new one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pydantic

from simulator.scenario.checks import raise_problems
from simulator.scenario.distributions import DISTRIBUTION_NAMES
from simulator.scenario.errors import PathPart, Problem, ScenarioError, describe
from simulator.scenario.files import read_capped_text
from simulator.scenario.overrides import apply_overrides, merge_data
from simulator.scenario.schema import Scenario
from simulator.scenario.typepath import allowed_keys, unknown_key, user_path
from simulator.scenario.yamltext import read_yaml

__all__ = [
    "MAX_EXTENDS",
    "apply_overrides",
    "load_scenario",
    "parse_scenario",
    "read_yaml",
    "scenario_hash",
]

#: The longest chain of files extending one another (a scenario, its base, the base's base...).
MAX_EXTENDS = 16
#: Where each key path was written: (file, line) — a scenario may extend another file.
Places = dict[tuple[str, ...], tuple[str, int]]


def _key_text(part: PathPart) -> str:
    return str(part)


def _place_of(path: Sequence[PathPart], places: Places) -> tuple[str, int] | None:
    keys = tuple(_key_text(part) for part in path)
    for length in range(len(keys), 0, -1):
        if keys[:length] in places:
            return places[keys[:length]]
    return None


def _unknown_key(error: Any, loc: tuple[Any, ...]) -> str:
    return unknown_key(str(loc[-1]), allowed_keys(Scenario, loc[:-1]))


def _bad_distribution(error: Any, loc: tuple[Any, ...]) -> str:
    tags = ", ".join(repr(name) for name in DISTRIBUTION_NAMES)
    found = error.get("ctx", {}).get("tag")
    if found is not None:
        return f"expected 'dist' to be one of {tags}; found {found!r}"
    return (f"expected a 'dist' key naming the distribution ({tags}) or a duration such as "
            f"'10m'; found {describe(error['input'])}")


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
    return f"{message}; found {describe(error['input'])}"


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
                                         f"flow, ...); found {describe(data)}", source, 1)])
    try:
        scenario = Scenario.model_validate(data)
        raise_problems(scenario)  # the checks that span sections, once each section is valid
        return scenario
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


def _read_text(path: Path, extends_at: Problem | None) -> str:
    """A scenario file's text; for a file named by ``extends:``, a problem placed there."""
    if extends_at is None:
        return read_capped_text(path, "a scenario file")
    try:
        return read_capped_text(path, f"a scenario file to extend at {path}")
    except ScenarioError as error:
        raise ScenarioError([replace(extends_at, message=error.problems[0].message)]) from None


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
    if not isinstance(base_name, str) or not base_name.strip():
        raise ScenarioError([replace(here, message=f"expected the path of a scenario file; found "
                                                   f"{describe(base_name)}")])
    base_path = (path.parent / base_name).resolve()
    if base_path in chain or base_path == path.resolve():
        raise ScenarioError([replace(here, message=f"expected a chain of files that ends; found "
                                                   f"{base_name!r} extending itself")])
    if len(chain) + 1 >= MAX_EXTENDS:
        raise ScenarioError([replace(here, message=f"expected a chain of at most {MAX_EXTENDS} "
                                                   f"files extending one another; found a longer "
                                                   f"one")])
    base, base_places = _read_file(base_path, (*chain, path.resolve()), here)
    if not isinstance(base, dict):
        raise ScenarioError([replace(here, message=f"expected {base_name!r} to be a scenario "
                                                   f"(a mapping of sections); found {describe(base)}")])
    return merge_data(base, data), base_places | places


def scenario_hash(scenario: Scenario) -> str:
    """A SHA-256 of the scenario's resolved content (units already in minutes)."""
    canonical = json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
