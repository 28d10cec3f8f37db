"""The test run's closing summary lists the functions over 60 lines, so that the list stays visible."""

from __future__ import annotations

from typing import Any

from tests.codebase import LONG_FUNCTION_LINES, long_functions


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After the results: every function of the package longer than the limit (not a failure)."""
    found = long_functions()
    terminalreporter.section(f"functions over {LONG_FUNCTION_LINES} lines: {len(found)}")
    for lines, path, name in found:
        terminalreporter.write_line(f"{lines:4d}  {path}  {name}")
