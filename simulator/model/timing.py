"""Model layer: events that wait for everything else happening at the same moment.

SimPy runs events of the same time in order of priority (URGENT = 0, NORMAL = 1),
then of creation. A :class:`LateTimeout` has priority 2 (:data:`~simulator.model.engine.LATE`; or
``env.call_later(..., priority=LATE)`` for a plain callback), so it fires after every
ordinary event of its minute. The model uses it wherever the order matters:
a shift ends after the work that finishes at that minute (no hand-over of a
ticket with nothing left to do), and an SLA deadline is judged after the work
that starts at that minute (so elapsed ≤ target counts as met, as the KPIs define).
"""

from __future__ import annotations

import simpy

from simulator.model.engine import LATE

__all__ = ["LateTimeout"]


class LateTimeout(simpy.events.Event):
    """A timeout of ``delay`` minutes that fires after the ordinary events of its moment."""

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, LATE, delay)
