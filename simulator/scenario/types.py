"""Scenario layer: the field types every scenario model is built from.

A scenario model never stores a unit string or an unchecked number: fields are
declared with these annotated types, which parse units once (durations become
minutes, rates become events per minute) and reject impossible values with a
message that says what was expected and what was found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from pydantic_core import PydanticCustomError

from simulator.scenario.units import (
    DURATION_EXAMPLES,
    RATE_EXAMPLES,
    UnitError,
    parse_duration,
    parse_rate,
)

#: The largest count (headcount, replications, backlog tickets) a scenario may ask for.
MAX_COUNT = 100_000

__all__ = [
    "MAX_COUNT",
    "Duration",
    "Names",
    "NonNegativeDuration",
    "NonNegativeNumber",
    "PositiveCount",
    "PositiveDuration",
    "PositiveNumber",
    "PositiveRate",
    "Probability",
    "Seed",
    "Spec",
    "integer_levels",
    "problem",
]


class Spec(BaseModel):
    """Base of every scenario model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Groups of keys of which a section takes one (a team's ``agents`` or ``roster``): where a
    #: ``--set`` or a file that extends another gives one, the others are dropped.
    EXCLUSIVE_KEYS: ClassVar[tuple[tuple[str, ...], ...]] = ()


@dataclass(frozen=True)
class Names:
    """Marks a mapping whose keys define names (``teams``, ``priorities``): ``--set`` may change
    an entry but not make one, so that a misspelt name is an error, not a new, unused entry.

    Used as ``Annotated[dict[str, Team], Names("team")]``; pydantic ignores it.
    """

    kind: str  # what one entry is, in words: "team", "priority"


def problem(kind: str, message: str) -> PydanticCustomError:
    """An error whose message is shown to the user exactly as written."""
    return PydanticCustomError(kind, "{message}", {"message": message})


def _duration(minimum_exclusive: bool) -> Any:
    def check(value: object) -> float:
        try:
            minutes = parse_duration(value)
        except UnitError as error:
            raise problem("duration", str(error)) from None
        if minimum_exclusive and minutes <= 0.0:
            raise problem("duration", f"expected a duration greater than zero; found {value!r}")
        return minutes

    return check


def _rate(value: object) -> float:
    try:
        per_minute = parse_rate(value)
    except UnitError as error:
        raise problem("rate", str(error)) from None
    if not math.isfinite(per_minute):
        raise problem("rate", f"expected a finite rate; found {value!r}")
    if per_minute <= 0.0:
        raise problem("rate", f"expected a rate greater than zero; found {value!r}")
    return per_minute


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise problem("number", f"expected a number; found {value!r}")
    return float(value)


def _positive_number(value: object) -> float:
    number = _number(value)
    if not math.isfinite(number) or number <= 0.0:
        raise problem("number", f"expected a finite number greater than zero; found {value!r}")
    return number


def _probability(value: object) -> float:
    number = _number(value)
    if not 0.0 <= number <= 1.0:
        raise problem("probability", f"expected a probability between 0 and 1; found {value!r}")
    return number


def _positive_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise problem("count", f"expected a whole number greater than zero; found {value!r}")
    if value > MAX_COUNT:
        raise problem("count", f"expected at most {MAX_COUNT:,}; found {value:,}")
    return value


def _non_negative_number(value: object) -> float:
    number = _number(value)
    if not math.isfinite(number) or number < 0.0:
        raise problem("number", f"expected a finite number of zero or more; found {value!r}")
    return number


def _seed(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise problem("seed", f"expected a whole number of zero or more; found {value!r}")
    return value


_DURATION_SCHEMA = {"type": "string", "description": f"A duration with a unit, e.g. {DURATION_EXAMPLES}",
                    "pattern": r"^\s*(\d+(\.\d*)?\s*[a-zA-Z]+\s*)+$"}

#: A duration of zero or more, stored in minutes.
NonNegativeDuration = Annotated[float, BeforeValidator(_duration(False)),
                                WithJsonSchema(_DURATION_SCHEMA)]
Duration = NonNegativeDuration
#: A duration greater than zero, stored in minutes.
PositiveDuration = Annotated[float, BeforeValidator(_duration(True)), WithJsonSchema(_DURATION_SCHEMA)]
#: A rate greater than zero, stored in events per minute.
PositiveRate = Annotated[float, BeforeValidator(_rate), WithJsonSchema(
    {"type": "string", "description": f"A rate with a unit, e.g. {RATE_EXAMPLES}",
     "pattern": r"^\s*\d+(\.\d*)?\s*/\s*\d*\s*[a-zA-Z]+\s*$"})]
PositiveNumber = Annotated[float, BeforeValidator(_positive_number),
                           WithJsonSchema({"type": "number", "exclusiveMinimum": 0})]
Probability = Annotated[float, BeforeValidator(_probability),
                        WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1})]
PositiveCount = Annotated[int, BeforeValidator(_positive_count),
                          WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_COUNT})]
NonNegativeNumber = Annotated[float, BeforeValidator(_non_negative_number),
                              WithJsonSchema({"type": "number", "minimum": 0})]
Seed = Annotated[int, BeforeValidator(_seed), WithJsonSchema({"type": "integer", "minimum": 0})]


def integer_levels(value: object) -> object:
    """Impact and urgency levels as integers: YAML may give ``{"1": 0.2}``; nested tables too."""
    if isinstance(value, dict):
        return {int(key) if isinstance(key, str) and key.isdigit() else key: integer_levels(share)
                for key, share in value.items()}
    return value
