"""Model layer: the SimPy environment the model runs in — SimPy's, with a leaner hot path.

The model is SimPy all the way down (processes for the rarer lifecycles, timeouts with
callbacks for the queues), but about a fifth of a replication was SimPy's own bookkeeping:
for every piece of work a ``Timeout`` (its ``__init__`` and ``Environment.schedule``: two
Python frames), and for every event ``Environment.step`` (one more frame). SimPy's documented
way to change how a simulation runs is to subclass :class:`simpy.Environment` and override its
loop (as ``simpy.rt.RealtimeEnvironment`` does); :class:`ModelEnvironment` does that and adds
one method:

* :meth:`ModelEnvironment.call_later` — "call this after ``delay`` minutes": an event made and
  scheduled in one frame, with the callback already attached (the model's handlers are plain
  callbacks: ``env.timeout(delay, value).callbacks.append(callback)`` in one call);
* :meth:`ModelEnvironment.run` — SimPy's ``run`` with ``step`` written into its loop (no frame
  per event);
* ``now`` read without a Python frame (SimPy's is a Python property, read ~5 times an incident).

Nothing else changes: events are ordered exactly as SimPy orders them — by (time, priority,
the order they were scheduled in), on the same heap and the same counter, so an event made by
``call_later`` and one made by ``env.timeout`` at the same moment keep their scheduling order —
and processes, ``step``, ``peek`` and every other part of SimPy work as before.
``tests/model/test_engine.py`` runs the same mixed schedule on this environment and on plain
SimPy and compares the traces.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from operator import attrgetter
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, EventPriority

__all__ = ["LATE", "Callback", "ModelEnvironment", "Wakeup"]

#: The priority of events that wait for every ordinary event of their moment (SimPy has URGENT = 0
#: and NORMAL = 1; see :mod:`simulator.model.timing`).
LATE = EventPriority(2)

#: What an event calls when it is processed: SimPy's callback signature.
Callback = Callable[[simpy.Event], None]


class Wakeup(simpy.Event):
    """An event made by :meth:`ModelEnvironment.call_later`: already triggered (successfully,
    with its value), already scheduled, already carrying its callback. A plain SimPy event in
    every other respect (``value``, ``ok``, ``callbacks``, ``processed``)."""

    _ok = True  # (always: a wakeup never fails; a class attribute, one store less per event)


_new_wakeup = object.__new__


class ModelEnvironment(simpy.Environment):
    """A :class:`simpy.Environment` with a cheaper way to schedule a callback and a loop
    without a frame per event (see the module's docstring)."""

    #: The current simulation time: SimPy's ``now``, read through a getter written in C
    #: (``operator.attrgetter``) instead of a Python function — the model reads the clock in
    #: nearly every handler, and a Python-level property costs a frame per read.
    now = property(attrgetter("_now"), doc="The current simulation time.")

    def call_later(self, delay: float, callback: Callback, value: Any = None,
                   priority: EventPriority = NORMAL) -> Wakeup:
        """Call ``callback(event)`` in ``delay`` minutes; ``event.value`` is ``value``.

        The same as ``env.timeout(delay, value).callbacks.append(callback)`` (with ``priority``
        :data:`LATE`: after the moment's ordinary events), scheduled at the same point of the
        event order, in one Python frame instead of three. Returns the event (to recognise it,
        or to add callbacks)."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        # What Timeout.__init__ and Environment.schedule do, inlined.
        event = _new_wakeup(Wakeup)
        event.env = self
        event.callbacks = [callback]
        event._value = value
        heappush(self._queue, (self._now + delay, priority, next(self._eid), event))
        return event

    def run(self, until: float | simpy.Event | None = None) -> Any:
        """SimPy's :meth:`simpy.Environment.run` (4.1), with :meth:`~simpy.Environment.step`
        written into the loop: the same events, in the same order, with the same errors."""
        if until is not None:
            if not isinstance(until, simpy.Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self._now:
                    raise ValueError(f"until ({at}) must be greater than the current simulation time")
                until = simpy.Event(self)
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self._now)
            elif until.callbacks is None:
                return until.value  # already processed
            until.callbacks.append(StopSimulation.callback)
        try:
            self._loop()
        except StopSimulation as stop:
            return stop.args[0]  # == until.value
        except EmptySchedule:
            if until is not None:
                assert not until.triggered
                raise RuntimeError(f'No scheduled events left but "until" event was not '
                                   f"triggered: {until}") from None
        return None

    def _loop(self) -> None:
        """Process events until one raises :class:`StopSimulation` or none is left
        (:class:`EmptySchedule`): each iteration is :meth:`simpy.Environment.step`."""
        queue, pop = self._queue, heappop
        while True:
            try:
                self._now, _, _, event = pop(queue)
            except IndexError:
                raise EmptySchedule from None
            # Detach the callbacks first, as step does, so that none is added while they run.
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
            try:
                for callback in callbacks:
                    callback(event)
            except StopSimulation:
                # As step: keep the callbacks not yet called, for when the run resumes.
                event.callbacks = callbacks[callbacks.index(callback) + 1:]
                self.schedule(event, EventPriority(-1))
                raise
            if not event._ok and not hasattr(event, "_defused"):
                # A failed event nobody handled crashes the run, as in step.
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
