"""Experiment layer: Ctrl-C (and ``kill``) that is not lost while pandas writes a file.

Python turns Ctrl-C into a ``KeyboardInterrupt`` raised wherever the main thread happens to
be. Inside NumPy that can be a place that clears every error: comparing a NumPy dtype with a
string (``np.dtype("int64") == "string"``, which pandas does all through ``to_parquet`` and
``to_csv``) fails inside, clears the error — the ``KeyboardInterrupt`` with it — and returns
``False`` (NumPy issue 20596: ``PyErr_Clear()`` calls that do not spare ``KeyboardInterrupt``).
The command then goes on as if nothing was pressed: sending Ctrl-C to a process that did
nothing but write cache entries lost it in about 1 round of 300.

:func:`deferred_interrupts` closes that hole where the parent spends its time between
replications, writing files: for the length of the block, SIGINT and a SIGTERM handled in
Python are only noted, and once the block is over the handler that was in place is called,
so that the interrupt is raised there, in mimsim's code, where nothing swallows it. Writing a
file is a matter of milliseconds, so Ctrl-C still takes effect at once — and never leaves
half a file behind.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["deferred_interrupts"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """SIGINT and SIGTERM during the block take effect (their handler is called) at its end.

    Only signals that have a Python handler are deferred (an ignored signal stays ignored, a
    default one still ends the process at once), and only on the main thread, the one
    Python's handlers run on; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {number: signal.getsignal(number) for number in _SIGNALS}
    handled = {number: handler for number, handler in handlers.items() if callable(handler)}
    received: list[signal.Signals] = []

    def note(number: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(number))

    for number in handled:
        signal.signal(number, note)
    try:
        yield
    finally:
        for number, handler in handled.items():
            signal.signal(number, handler)
    for came in dict.fromkeys(received):  # each signal once, in the order they came
        handled[came](came, None)
