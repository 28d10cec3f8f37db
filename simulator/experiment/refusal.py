"""Experiment layer: the error for a request refused before any work starts.

An output path that would replace what mimsim did not write, a Dask scheduler that cannot be
reached, a run too large to finish without the user's say-so: each is refused before anything
is written or simulated, with one line naming the option or file, what was expected and what
was found. The ``mimsim`` command prints that line and exits with code 2.
"""

from __future__ import annotations

__all__ = ["RefusedError"]


class RefusedError(Exception):
    """A request refused before anything was written or run; ``str(error)`` is the one line."""
