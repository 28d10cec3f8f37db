"""The test run's closing summary lists the functions over 60 lines, so that the list stays visible;
every test gets a replication cache of its own (never the user's)."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.experiment.cache import CACHE_DIR_ENV
from tests.codebase import LONG_FUNCTION_LINES, long_functions


@pytest.fixture(autouse=True)
def own_replication_cache(tmp_path_factory: pytest.TempPathFactory,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's commands (and the processes it starts) use an empty cache of their own, so
    that no test reads another's replications or writes into the user's cache."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path_factory.mktemp("replication-cache")))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After the results: every function of the package longer than the limit (not a failure)."""
    found = long_functions()
    terminalreporter.section(f"functions over {LONG_FUNCTION_LINES} lines: {len(found)}")
    for lines, path, name in found:
        terminalreporter.write_line(f"{lines:4d}  {path}  {name}")
