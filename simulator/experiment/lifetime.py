"""Experiment layer: worker processes that end when their parent does.

A pool worker runs a replication and writes its logs into the run directory. If the parent
(``mimsim run`` or ``sweep``) is killed, a worker left running would go on writing into a
directory that nobody owns any more — perhaps one a new run has just emptied — and die later
on a broken pipe with a traceback. So each worker asks the kernel to kill it the moment its
parent dies (Linux ``PR_SET_PDEATHSIG``; elsewhere a watchdog thread checks the parent
every 0.1 s). A worker killed mid-file leaves only a ``*.partial`` file, which marks itself
as incomplete and is removed by the next run in that directory.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

__all__ = ["end_with_parent"]

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_WATCH_EVERY_S = 0.1


def _kernel_watch() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_EVERY_S)
    os._exit(1)


def end_with_parent(parent: int) -> None:
    """End this process when process ``parent`` (the one that started it) ends."""
    if not _kernel_watch():
        threading.Thread(target=_watch, args=(parent,), daemon=True, name="watch-parent").start()
    if os.getppid() != parent:  # the parent died before the watch was set
        os._exit(1)
