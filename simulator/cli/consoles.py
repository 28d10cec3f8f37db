"""CLI layer: where output goes — the consoles for tables (stdout) and for progress, notes and
problems (stderr), the progress bars of long runs, and the note on replications read back from
the replication cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from simulator.experiment.execution import Execution
    from simulator.experiment.replications import ReplicationResult

__all__ = ["ReplicationBar", "progress_bar", "report_reuse", "stderr", "stdout"]


def report_reuse(console: Console, reused: int, execution: Execution) -> None:
    """Say how many replications were read back from the cache (when any were)."""
    if reused and execution.cache is not None:
        console.print(f"{reused} replication{'s' if reused != 1 else ''} read back from the cache "
                      f"({execution.cache.path}; --no-cache runs them again)", markup=False)


def stderr() -> Console:
    """Where progress, notes and problems go (no emoji codes: "10:x:" in a message stays text)."""
    return Console(stderr=True, highlight=False, emoji=False)


def stdout() -> Console:
    """Where tables go; a file or a pipe gets 120 columns rather than squeezed tables."""
    console = Console(highlight=False, emoji=False)
    return console if console.is_terminal else Console(highlight=False, emoji=False, width=120)


def progress_bar(console: Console) -> Progress:
    """A progress bar on stderr, shown only when stderr is a terminal."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True,
                    disable=not console.is_terminal)


class ReplicationBar:
    """A progress bar of replications on ``console``, shown while in its ``with`` block (and only
    when the console is a terminal); told how many are planned, and of each that finishes."""

    def __init__(self, console: Console, description: str) -> None:
        self._progress = progress_bar(console)
        self._task = self._progress.add_task(description, total=None)
        self._planned = 0
        self.finished_count = 0

    def __enter__(self) -> ReplicationBar:
        self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._progress.stop()

    def expect(self, replications: int) -> None:
        """``replications`` more are about to run."""
        self._planned += replications
        self._progress.update(self._task, total=self._planned)

    def finished(self, design: str, result: ReplicationResult) -> None:
        """One more replication has finished."""
        self.finished_count += 1
        self._progress.advance(self._task)
