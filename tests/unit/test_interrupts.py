"""Ctrl-C while pandas writes a file: noted, and raised once the file is written (not lost)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from simulator.experiment.interrupts import deferred_interrupts


@contextmanager
def handling(number: int, handler: Callable[..., Any] | int) -> Iterator[None]:
    """``handler`` for signal ``number`` during the block (a suite started in the background
    may ignore SIGINT; these tests need to know what handles it)."""
    previous = signal.signal(number, handler)
    try:
        yield
    finally:
        signal.signal(number, previous)


def test_ctrl_c_in_the_block_is_raised_when_the_block_is_over() -> None:
    steps = []
    with handling(signal.SIGINT, signal.default_int_handler):
        with pytest.raises(KeyboardInterrupt):
            with deferred_interrupts():
                signal.raise_signal(signal.SIGINT)
                steps.append("the block went on")
            steps.append("after the block")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert steps == ["the block went on"]


def test_a_ctrl_c_that_numpy_would_swallow_is_raised_at_the_end_of_the_block() -> None:
    # Comparing a dtype with a string clears any error NumPy meets inside, a KeyboardInterrupt
    # too: without the deferral, this loop loses the Ctrl-C in nearly every try.
    dtype = np.dtype("int64")
    compared = 0
    with (handling(signal.SIGINT, signal.default_int_handler), pytest.raises(KeyboardInterrupt),
          deferred_interrupts()):
        threading.Timer(0.02, os.kill, (os.getpid(), signal.SIGINT)).start()
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            for _ in range(1000):
                compared += dtype == "string"  # False: adds 0
    assert compared == 0


def test_kill_with_a_python_handler_is_deferred_the_same_way_and_each_signal_handled_once() -> None:
    heard: list[int] = []
    with handling(signal.SIGTERM, lambda number, frame: heard.append(number)):
        with deferred_interrupts():
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGTERM)
            assert heard == []
        assert heard == [signal.SIGTERM]


def test_an_ignored_ctrl_c_stays_ignored_and_a_block_off_the_main_thread_changes_nothing() -> None:
    with handling(signal.SIGINT, signal.SIG_IGN):
        with deferred_interrupts():
            signal.raise_signal(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    seen: list[object] = []

    def in_a_thread() -> None:
        with deferred_interrupts():
            seen.append(signal.getsignal(signal.SIGINT))

    with handling(signal.SIGINT, signal.default_int_handler):
        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
    assert seen == [signal.default_int_handler]
