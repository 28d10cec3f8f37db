"""Model layer: large arrays on ordinary memory pages while a replication is built and measured.

On Linux, NumPy asks the kernel to back every array of 4 MB or more with transparent huge pages
(``madvise(MADV_HUGEPAGE)``), and the first touch of such an array can then stall in the kernel
while it finds or assembles 2 MB pages. A one-year baseline's event-log table and its encoding
(a few dozen arrays of 5 MB) spent 0.3–0.7 s of system time that way in a fresh process, against
under 0.05 s on ordinary pages, for about 2.5 s of computing (docs/performance.md, "Memory,
system time and shared replications"). The numbers do not change: only where the kernel places
the bytes. A user who sets ``NUMPY_MADVISE_HUGEPAGE`` decides for themselves: it is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

__all__ = ["ordinary_pages"]


def _huge_page_switch() -> Callable[[bool], bool] | None:
    """NumPy's (private, stable since 1.20) switch, or ``None`` where it is missing or the user chose."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return None
    multiarray = getattr(getattr(np, "_core", None), "multiarray", None)
    switch: Callable[[bool], bool] | None = getattr(multiarray, "_set_madvise_hugepage", None)
    return switch


@contextmanager
def ordinary_pages() -> Iterator[None]:
    """Run the body (or, as a decorator, the function) with NumPy's huge-page advice off; the
    previous setting is restored on the way out."""
    switch = _huge_page_switch()
    if switch is None:
        yield
        return
    was_on = switch(False)
    try:
        yield
    finally:
        switch(was_on)
