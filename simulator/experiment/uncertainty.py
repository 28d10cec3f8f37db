"""Experiment layer: uncertain inputs — what they are, how input sets are drawn, which ones re-run.

An *uncertain input* is a scenario key with a range. It comes from a scenario file (a
price written as ``{min, mode, max, source}``) or from the command line
(``--uncertain PATH=LOW:MODE:HIGH``, any key). There are two kinds, and the difference
decides what a study costs:

* a **price input** (a downtime cost, an hourly cost, a penalty, what the process
  costs; :func:`is_price_path`) only turns what the simulation measured — minutes,
  hours, breaches — into money. Input sets that differ only in prices re-price the same
  replications: they cost no simulation at all;
* a **model input** (anything else: how often a service fails, a delay, a headcount)
  changes what happens, so each value it takes needs replications of its own.

Input sets are a Latin hypercube (``scipy.stats.qmc.LatinHypercube``, seeded): each
input's range is cut into as many equally likely strata as there are sets and each
stratum is used once, so 200 sets cover every range evenly. A uniform ``u`` becomes a
value by the input's inverse distribution function: uniform, triangular, or PERT — a beta
on [min, max] with α = 1 + 4 (mode − min)/(max − min) and β = 1 + 4 (max − mode)/(max − min)
(the classic PERT weights: mean = (min + 4 mode + max)/6).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from simulator.scenario.estimates import SHAPES, Estimate
from simulator.scenario.schema import Scenario
from simulator.scenario.units import MINUTES_PER

__all__ = ["PRICE_PATTERNS", "UncertainInput", "for_scenario", "is_price_path", "latin_hypercube",
           "parse_uncertain", "price_leaves", "scenario_inputs", "value_at", "with_values"]

#: The keys that only price what the simulation measured (see the module's notes).
PRICE_PATTERNS = (
    re.compile(r"^services\.[^.]+\.downtime_cost(\.(?!calendar$)(?!ramp\.after$)[\w.]+)?$"),
    re.compile(r"^teams\.[^.]+\.hourly_cost$"),
    re.compile(r"^priorities\.[^.]+\.(response_)?breach_penalty$"),
    re.compile(r"^major_incident\.costs(\.[\w.]+)?$"),
)
_NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)"
_PART = re.compile(rf"^\s*({_NUMBER})\s*([a-zA-Z]*)\s*$")


def is_price_path(path: str) -> bool:
    """Whether a scenario key only prices the simulation's measures (it never changes a run)."""
    return any(pattern.match(path) for pattern in PRICE_PATTERNS)


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: its key, its range and shape, its source, and its kind.

    ``unit`` is the duration unit it was written in (``""`` for a plain number); values are
    kept in the scenario's own units (minutes for durations).
    """

    path: str
    low: float
    mode: float | None
    high: float
    shape: str
    source: str | None = None
    unit: str = ""
    whole: bool = False  # drawn as whole numbers (a headcount, a count)

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"{self.path}: expected a shape among {', '.join(SHAPES)}; found "
                             f"{self.shape!r}")
        low, high = _show(self.low, self.unit), _show(self.high, self.unit)
        if not self.low < self.high:
            raise ValueError(f"{self.path}: expected LOW below HIGH; found {low} and {high}")
        if self.mode is not None and not self.low <= self.mode <= self.high:
            raise ValueError(f"{self.path}: expected the mode between LOW and HIGH; found "
                             f"{_show(self.mode, self.unit)} outside [{low}, {high}]")
        if (self.shape == "uniform") != (self.mode is None):
            raise ValueError(f"{self.path}: expected a mode for a {self.shape} range and none "
                             f"for a uniform one")

    @property
    def kind(self) -> str:
        """``price`` (re-prices the same replications) or ``model`` (needs its own runs)."""
        return "price" if is_price_path(self.path) else "model"

    @property
    def base(self) -> float:
        """The value a single answer uses: the mode, or the middle of a uniform range."""
        return (self.low + self.high) / 2 if self.mode is None else self.mode

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Values at probabilities ``u`` (the inverse distribution function)."""
        width = self.high - self.low
        if self.shape == "uniform":
            return self.low + width * np.asarray(u)
        from scipy import stats  # (here: a second of start-up that only a study's draws need)

        mode = self.base
        if self.shape == "triangular":
            return stats.triang.ppf(u, (mode - self.low) / width, loc=self.low, scale=width)
        alpha = 1 + 4 * (mode - self.low) / width
        beta = 1 + 4 * (self.high - mode) / width
        return stats.beta.ppf(u, alpha, beta, loc=self.low, scale=width)

    def draw(self, u: np.ndarray) -> np.ndarray:
        """Values at probabilities ``u``, rounded for an input of whole numbers."""
        values = self.quantile(u)
        return np.round(values) if self.whole else values

    def written(self, value: float) -> str:
        """A value as ``--set`` text, in the unit the range was written in."""
        scaled = value / MINUTES_PER[self.unit] if self.unit else value
        return f"{scaled:.10g}{self.unit}"

    def describe(self) -> str:
        """The range as people read it, e.g. ``triangular 2,000 – 5,600 – 9,000``."""
        parts = [self.low, *(() if self.mode is None else (self.mode,)), self.high]
        return f"{self.shape} " + " – ".join(_show(part, self.unit) for part in parts)


def _show(value: float, unit: str) -> str:
    if unit:
        return f"{value / MINUTES_PER[unit]:.4g}{unit}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def _parts(path: str, text: str) -> tuple[list[float], str]:
    values, units = [], set()
    for piece in text.split(":"):
        match = _PART.match(piece)
        if match is None:
            raise ValueError(f"{path}: expected numbers (with the same duration unit, if any) "
                             f"such as 2000:5600:9000 or 30d:60d:120d; found {piece.strip()!r}")
        units.add(match.group(2))
        values.append(float(match.group(1)))
    if len(units) > 1:
        raise ValueError(f"{path}: expected the same unit on every value; found "
                         f"{', '.join(repr(unit) for unit in sorted(units))}")
    unit = units.pop()
    if unit and unit not in MINUTES_PER:
        raise ValueError(f"{path}: expected a duration unit among {', '.join(MINUTES_PER)}; "
                         f"found {unit!r}")
    return [value * MINUTES_PER[unit] if unit else value for value in values], unit


def parse_uncertain(option: str) -> UncertainInput:
    """Read ``PATH=LOW:HIGH`` (uniform), ``PATH=LOW:MODE:HIGH`` (triangular) or
    ``PATH=SHAPE:LOW:[MODE:]HIGH`` with SHAPE ``uniform``, ``triangular`` or ``pert``.

    Raises ``ValueError`` with one line saying what was expected and found."""
    path, equals, text = option.partition("=")
    path, text = path.strip(), text.strip()
    if not equals or not path or not text:
        raise ValueError(f"expected PATH=LOW:MODE:HIGH such as "
                         f"'services.customer_portal.failures.every.mean=30d:60d:120d'; found "
                         f"{option!r}")
    shape, _, rest = text.partition(":")
    if shape in SHAPES:
        text = rest
    values, unit = _parts(path, text)
    if len(values) not in (2, 3):
        raise ValueError(f"{path}: expected LOW:HIGH or LOW:MODE:HIGH; found {len(values)} values")
    chosen = shape if shape in SHAPES else ("uniform" if len(values) == 2 else "triangular")
    if (chosen == "uniform") != (len(values) == 2):
        raise ValueError(f"{path}: expected LOW:HIGH for a uniform range and LOW:MODE:HIGH for a "
                         f"{chosen} one; found {len(values)} values")
    low, *mode, high = values
    return UncertainInput(path, low, mode[0] if mode else None, high, chosen, "command line", unit)


def value_at(scenario: Scenario, path: str) -> object:
    """The value a scenario holds at a dotted key (``teams.network.roster.0.headcount``), or None."""
    node: Any = scenario
    for part in path.split("."):
        if isinstance(node, BaseModel):
            node = getattr(node, part, None)
        elif isinstance(node, Mapping):
            node = next((value for key, value in node.items() if str(key) == part), None)
        elif isinstance(node, tuple | list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def for_scenario(item: UncertainInput, scenario: Scenario) -> UncertainInput:
    """The input, drawn as whole numbers where the scenario holds a whole number (a headcount)."""
    value = value_at(scenario, item.path)
    whole = isinstance(value, int) and not isinstance(value, bool)
    return replace(item, whole=whole) if whole != item.whole else item


def _leaves(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _leaves(getattr(node, name), f"{path}.{name}")
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path, node


def price_leaves(scenario: Scenario) -> dict[str, float]:
    """Every price the scenario sets, by key (each an :class:`Estimate` where it has a range
    or a source). The process's costs count only while it is enabled."""
    found: dict[str, float] = {}
    for name, service in scenario.services.items():
        found |= dict(_leaves(service.downtime_cost, f"services.{name}.downtime_cost"))
    for name, team in scenario.teams.items():
        found[f"teams.{name}.hourly_cost"] = team.hourly_cost
    for name, priority in scenario.priorities.items():
        for key in ("response_breach_penalty", "breach_penalty"):
            if getattr(priority, key) is not None:
                found[f"priorities.{name}.{key}"] = getattr(priority, key)
    costs = scenario.major_incident.costs
    if costs is not None and scenario.major_incident.enabled:
        found |= dict(_leaves(costs, "major_incident.costs"))
    return {path: value for path, value in found.items() if is_price_path(path)}


def scenario_inputs(scenario: Scenario) -> list[UncertainInput]:
    """The prices a scenario gives as ranges."""
    return [UncertainInput(path, value.low, value.mode, value.high, value.shape, value.source)
            for path, value in price_leaves(scenario).items()
            if isinstance(value, Estimate) and value.uncertain]


def _replaced(node: Any, parts: Sequence[str], value: float) -> Any:
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(node, BaseModel):
        return node.model_copy(update={head: _replaced(getattr(node, head), rest, value)})
    if isinstance(node, Mapping):
        return {**node, head: _replaced(node[head], rest, value)}
    raise KeyError(head)


def with_values(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """The scenario with price keys set to these values (not validated again: prices only)."""
    for path, value in values.items():
        try:
            scenario = _replaced(scenario, path.split("."), float(value))
        except (KeyError, AttributeError):
            raise ValueError(f"{path}: expected a price the scenario sets; found no such key") from None
    return scenario


def latin_hypercube(inputs: Sequence[UncertainInput], sets: int, seed: int) -> pd.DataFrame:
    """``sets`` input sets (rows) of the inputs' values (columns by path), Latin hypercube."""
    if not inputs:
        return pd.DataFrame(index=pd.RangeIndex(sets, name="input_set"))
    from scipy.stats import qmc  # (see UncertainInput.quantile)

    uniforms = qmc.LatinHypercube(d=len(inputs), rng=np.random.default_rng(seed)).random(sets)
    columns = {item.path: item.draw(uniforms[:, index]) for index, item in enumerate(inputs)}
    return pd.DataFrame(columns, index=pd.RangeIndex(sets, name="input_set"))
