"""Calibration layer: writing a learned scenario as a commented YAML file.

Small values (a distribution, a shift, a row of shares) are written on one line;
sections are written as blocks; a comment line goes above each key that has one,
so a reader sees where every value came from next to the value.
"""

from __future__ import annotations

from typing import Any

import yaml

from simulator.scenario.calendars import WEEKDAYS

__all__ = ["scenario_yaml"]


def _inline(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False,
                          allow_unicode=True).strip().removesuffix("\n...").removesuffix("...").strip()


def _is_leaf(value: Any) -> bool:
    if not isinstance(value, dict | list):
        return True
    if isinstance(value, dict):
        return "dist" in value or "days" in value or _is_rule(value) or all(
            not isinstance(item, dict | list) for item in value.values())
    return all(not isinstance(item, dict | list) for item in value)


def _is_rule(value: dict[Any, Any]) -> bool:
    """A routing rule (``came_from``, ``handoffs``, ``transfer``) or a path rule (``first``,
    ``priority``, ``paths``): one line each."""
    return (("transfer" in value and set(value) <= {"came_from", "handoffs", "priority", "transfer"})
            or ("paths" in value and set(value) <= {"first", "priority", "category", "paths"}))


def _emit(value: Any, path: tuple[str, ...], comments: dict[tuple[str, ...], str], indent: int,
          lines: list[str]) -> None:
    pad = "  " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            here = (*path, str(key))
            if here in comments:
                lines.append(f"{pad}# {comments[here]}")
            label = _inline(key)
            if _is_leaf(item):
                lines.append(f"{pad}{label}: {_inline(item)}")
            else:
                lines.append(f"{pad}{label}:")
                _emit(item, here, comments, indent + 1, lines)
        return
    for index, item in enumerate(value):
        note = f"  # {WEEKDAYS[index]}" if path[-1:] == ("weekly",) and len(value) == 7 else ""
        if _is_leaf(item):
            lines.append(f"{pad}- {_inline(item)}{note}")
        else:
            lines.append(f"{pad}-")
            _emit(item, (*path, str(index)), comments, indent + 1, lines)


def scenario_yaml(scenario: dict[str, Any], comments: dict[tuple[str, ...], str], header: str) -> str:
    """The scenario as YAML text with ``comments`` (key path → text) and a header comment."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    _emit(scenario, (), comments, 0, lines)
    return "\n".join(lines) + "\n"
