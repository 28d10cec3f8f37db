"""Property: whatever a user does to a shipped scenario, mimsim accepts it or says what is wrong.

Hypothesis mutates the shipped scenarios as a user editing them might — a changed value, a
deleted key, a renamed key (a typo, another key's name), a swapped type (a value in a list,
a list made a mapping) — writes the result beside the scenario's parents, so that ``extends:``
resolves and extended scenarios are fuzzed too, and runs ``mimsim validate`` on it. Every
outcome must be exit code 0 with nothing on stderr, or exit code 2 with one line per problem,
each naming the file (and line) or option at fault; never a traceback or an internal error.
The same holds for ``--set`` overrides of any key path of any shipped scenario, existing or
misspelt.

``validate`` reads, overrides and checks a scenario without simulating it, so each example
takes milliseconds and the whole property runs in seconds.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.cli.main import main
from simulator.scenario.yamltext import read_yaml

SCENARIOS = Path(__file__).parents[2] / "scenarios"
SHIPPED = sorted(path.relative_to(SCENARIOS).as_posix() for path in SCENARIOS.rglob("*.yaml"))
Path_ = tuple[Any, ...]

#: Values a user might type anywhere: numbers, durations, rates, names, wrong types, and text
#: that means something elsewhere in the language.
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**45),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["5m", "-3h", "0m", "1e999h", "1e308w", "0/day", "1e9/h", "120/day", "25:00",
                     "08:00", "Mon-Fri", "Monkey", "daily", "lognormal", "exponential", "24x7",
                     "business", "P1", "P9", "service_desk", "owner", "emergency_change", "2w",
                     "08:00-17:00", "2026-02-30", ">= 0.9", "<= 30", "baseline.yaml",
                     "../baseline.yaml", "/dev/zero", "mutant.yaml", "nowhere.yaml"]),
    st.lists(st.integers(-3, 5), max_size=3),
    st.dictionaries(st.sampled_from(["dist", "mean", "median", "p90", "1", "x"]),
                    st.sampled_from(["10m", "lognormal", 0.5, 3]), max_size=2),
)


def _paths(data: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every key path of the data (sections, lists and values alike)."""
    found: list[Path_] = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found += _paths(item, (*prefix, index))
    return found


def _parent(data: Any, path: Path_) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


def _typo(key: str) -> st.SearchStrategy[str]:
    if len(key) < 2:
        return st.just(key + "x")
    return st.integers(0, len(key) - 2).map(lambda i: key[:i] + key[i + 1] + key[i] + key[i + 2:])


@st.composite
def _mutated(draw: st.DrawFn, data: Any) -> Any:
    """The data with one change: a new value, a deletion, a renamed key or a swapped type."""
    paths = _paths(data)
    if not paths:
        return draw(VALUES)
    path = draw(st.sampled_from(paths))
    parent, key = _parent(data, path), path[-1]
    kind = draw(st.sampled_from(["value", "delete", "rename", "swap"]))
    if kind == "value":
        parent[key] = draw(VALUES)
    elif kind == "delete":
        del parent[key]
    elif kind == "rename" and isinstance(parent, dict):
        siblings = [str(name) for name in parent if name != key]
        new = draw(st.one_of(_typo(str(key)), st.text(min_size=1, max_size=8),
                             st.sampled_from([*siblings, "extends", "name", "agents"])))
        parent[new] = parent.pop(key)
    else:
        value = parent[key]
        parent[key] = draw(st.sampled_from([
            [value], {"x": value}, str(value),
            dict(enumerate(value)) if isinstance(value, list) else value,
            list(value.values()) if isinstance(value, dict) else value]))
    return data


@st.composite
def _scenario(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from(SHIPPED))
    data, _ = read_yaml((SCENARIOS / name).read_text(), name)
    for _ in range(draw(st.integers(1, 3))):
        data = draw(_mutated(data))
    return name, data


def _validate(arguments: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["validate", *arguments])
            code = 0
        except SystemExit as stopped:
            code = int(stopped.code or 0)
    return code, out.getvalue(), err.getvalue()


_WHERE = re.compile(r"^(?P<source>--set \S.*?|[^:]+\.yaml|/dev/zero)(:\d+)?: ")


def _assert_accepted_or_one_line_each(code: int, err: str, sources: tuple[str, ...]) -> None:
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 0:
        assert err == "", err
        return
    assert code == 2, err
    lines = err.strip().splitlines()
    assert lines, "exit code 2 with nothing said"
    for line in lines:
        where = _WHERE.match(line)
        assert where is not None, f"names no file or option: {line!r}"
        assert where["source"].startswith(sources), line


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped scenarios, so mutants can sit beside their parents."""
    root = tmp_path_factory.mktemp("fuzz") / "scenarios"
    shutil.copytree(SCENARIOS, root)
    return root


@pytest.mark.slow  # about 10 s: 150 scenarios validated
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_scenario())
def test_a_mutated_scenario_is_valid_or_one_clear_line_per_problem(copies: Path,
                                                                  case: tuple[str, Any]) -> None:
    name, data = case
    mutant = (copies / name).parent / "mutant.yaml"
    mutant.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    code, _, err = _validate([str(mutant)])
    _assert_accepted_or_one_line_each(code, err, (str(copies), "/dev/zero", "--set"))


def _key_paths(name: str) -> list[str]:
    data, _ = read_yaml((SCENARIOS / name).read_text(), name)
    return [".".join(str(part) for part in path) for path in _paths(data)]


KEY_PATHS = {name: _key_paths(name) for name in SHIPPED}


@st.composite
def _override(draw: st.DrawFn, name: str) -> str:
    path = draw(st.sampled_from(KEY_PATHS[name]))
    path = draw(st.one_of(st.just(path), _typo(path), st.just(path + ".x"),
                          st.just(path.replace(".0.", ".early.")), st.just("extends")))
    value = draw(VALUES)
    text = value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True).strip()
    return f"{path}={text.removesuffix('...').strip()}"


@st.composite
def _overridden(draw: st.DrawFn) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(SHIPPED))
    return name, draw(st.lists(_override(name), min_size=1, max_size=3))


@pytest.mark.slow  # about 5 s: 100 validations with overrides
@settings(max_examples=100, deadline=None)
@given(case=_overridden())
def test_any_override_is_valid_or_one_clear_line_per_problem(case: tuple[str, list[str]]) -> None:
    name, overrides = case
    arguments = [str(SCENARIOS / name)]
    for expression in overrides:
        arguments += ["--set", expression]
    code, _, err = _validate(arguments)
    _assert_accepted_or_one_line_each(code, err, (str(SCENARIOS), "--set"))
