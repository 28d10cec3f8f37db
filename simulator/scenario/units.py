"""Scenario layer: durations and rates written with explicit units.

Scenario files say ``"15m"`` or ``"120/day"``, never a bare number, so that a
reader never has to guess whether ``30`` meant seconds, minutes or hours. This
module turns those strings into the simulation's own units once, at load time:
durations become minutes and rates become events per minute.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "DURATION_EXAMPLES",
    "MINUTES_PER",
    "RATE_EXAMPLES",
    "UnitError",
    "format_duration",
    "parse_duration",
    "parse_rate",
]

#: Minutes in one of each duration unit the scenario language accepts.
MINUTES_PER: dict[str, float] = {
    "s": 1.0 / 60.0,
    "m": 1.0,
    "h": 60.0,
    "d": 24.0 * 60.0,
    "w": 7.0 * 24.0 * 60.0,
}

_UNIT_ALIASES: dict[str, str] = {
    "s": "s", "sec": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "minute": "m", "minutes": "m",
    "h": "h", "hr": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
    "w": "w", "wk": "w", "week": "w", "weeks": "w",
}

DURATION_EXAMPLES = "'90s', '15m', '4h', '3d', '2w' or '1h30m'"
RATE_EXAMPLES = "'120/day', '8/h' or '5/w'"

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_PART = re.compile(rf"\s*({_NUMBER})\s*([a-zA-Z]+)\s*")


class UnitError(ValueError):
    """A duration or rate that cannot be read; the message says what was expected."""


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    return repr(value) if isinstance(value, str) else f"{value!r} (a bare number, no unit)"


def parse_duration(value: object) -> float:
    """Read a duration such as ``"90s"``, ``"4h"`` or ``"1h30m"``.

    Parameters
    ----------
    value
        The text from the scenario file. Several parts add up (``"1h30m"``).

    Returns
    -------
    float
        The duration in minutes (never negative, always finite).

    Raises
    ------
    UnitError
        If the text has no unit, an unknown unit, or is not a duration at all.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise UnitError(f"expected a duration with a unit such as {DURATION_EXAMPLES}; "
                        f"found {_describe(value)}")
    text = value.strip()
    if text.startswith("-"):
        raise UnitError(f"expected a duration of zero or more; found {value!r}")
    total = 0.0
    position = 0
    for match in _PART.finditer(text):
        if match.start() != position:
            break
        unit = _UNIT_ALIASES.get(match.group(2).lower())
        if unit is None:
            raise UnitError(f"expected a duration unit (s, m, h, d or w); found {match.group(2)!r} "
                            f"in {value!r}")
        total += float(match.group(1)) * MINUTES_PER[unit]
        position = match.end()
    if position == 0 or position != len(text):
        raise UnitError(f"expected a duration with a unit such as {DURATION_EXAMPLES}; "
                        f"found {value!r}")
    if not math.isfinite(total):
        raise UnitError(f"expected a finite duration; found {value!r}")
    return total


def parse_rate(value: object) -> float:
    """Read a rate such as ``"120/day"`` or ``"8/h"``.

    Returns
    -------
    float
        Events per minute (never negative, always finite).
    """
    if isinstance(value, bool) or not isinstance(value, str) or "/" not in value:
        raise UnitError(f"expected a rate with a unit such as {RATE_EXAMPLES}; "
                        f"found {_describe(value)}")
    count_text, _, per_text = value.partition("/")
    try:
        count = float(count_text.strip())
    except ValueError:
        raise UnitError(f"expected a number before '/' in a rate such as {RATE_EXAMPLES}; "
                        f"found {value!r}") from None
    per_text = per_text.strip()
    if per_text and per_text[0].isalpha():
        per_text = "1" + per_text  # "8/h" means eight per one hour
    try:
        period = parse_duration(per_text)
    except UnitError:
        raise UnitError(f"expected a rate with a unit such as {RATE_EXAMPLES}; "
                        f"found {value!r}") from None
    if period <= 0.0 or not math.isfinite(count) or count < 0.0 or not math.isfinite(count / period):
        raise UnitError(f"expected a non-negative finite rate such as {RATE_EXAMPLES}; "
                        f"found {value!r}")
    return count / period


def format_duration(minutes: float) -> str:
    """Write minutes back in the largest unit that keeps the number short (``90`` → ``"1.5h"``)."""
    for unit in ("w", "d", "h", "m"):
        amount = minutes / MINUTES_PER[unit]
        if abs(amount) >= 1.0 and math.isclose(amount, round(amount, 2), abs_tol=1e-9):
            return f"{round(amount, 2):g}{unit}"
    return f"{minutes * 60.0:g}s" if 0.0 < abs(minutes) < 1.0 else f"{minutes:g}m"
