"""Model layer: phone and chat contacts that hang up while they wait, and those who call back.

A stream whose channel is phone or chat may give its contacts a *patience*: how long a caller
waits in the desk's queue for an agent. Each contact's patience is drawn when it arrives (by
inversion, from the stream's own named random stream, like every other draw of its plan). A
contact answered at once is not watched at all, nor one whose patience outlasts the run;
otherwise one timeout is set at the end of its patience, and if no agent has started work on it
by then, it leaves the queue: ``abandoned``.
Of those, a ``callback`` share try again after a delay, as a new contact (a case of its own,
``CBK…``, of the same stream, priority and plan: the user's problem has not changed; its
``parent`` in the event log is the contact that hung up), with a patience of their own.

Nothing here runs for a scenario without patience: the simulation only builds
:class:`Abandonment` when some stream has one, so the model without abandonment is exactly the
model as it was (same events, same random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import simpy

from simulator.model.incident import NO_AGENT, ActivityCode, Incident, case_id

if TYPE_CHECKING:
    from simulator.model.flow import IncidentFlow
    from simulator.model.wiring import Wiring
    from simulator.scenario.schema import ArrivalStream

__all__ = ["Abandonment", "LiveStream"]


@dataclass
class LiveStream:
    """A phone or chat stream's patience, and its random numbers for contacts that call back."""

    stream: ArrivalStream
    patience: np.ndarray  # minutes, per regular contact of the stream (in arrival order)
    retry: np.random.Generator  # callbacks: call back or not, the delay, the new patience


class Abandonment:
    """Watches waiting phone and chat contacts, lets them go when their patience runs out.

    Parameters
    ----------
    wiring
        The run's shared parts.
    flow
        The incident flow (its teams' queues, its open tickets, its SLA watch).
    """

    def __init__(self, wiring: Wiring, flow: IncidentFlow) -> None:
        self.env = wiring.env
        self.recorder = wiring.recorder
        self.streams = wiring.streams
        self.flow = flow
        self.horizon = wiring.scenario.run.horizon
        self._callbacks = 0

    def live_stream(self, name: str, stream: ArrivalStream, count: int) -> LiveStream:
        """The patience of a stream's ``count`` contacts, and the generator for its callbacks."""
        assert stream.patience is not None
        patience = stream.patience.quantile(self.streams.uniforms(f"patience/stream/{name}", count))
        return LiveStream(stream, patience, self.streams.generator(f"callback/stream/{name}"))

    def watch(self, incident: Incident, patience: float, live: LiveStream) -> None:
        """A contact has just joined the desk's queue: it gives up after ``patience`` minutes."""
        if incident.queue_entry is None:
            return  # answered at once
        if self.env.now + patience > self.horizon:
            # It could only run out after the end. (Such a timer would stay in SimPy's event
            # queue for the rest of the run, making every other event dearer as the queue grew:
            # +19 % per incident with patience beyond the run, benchmarks/bench_wfm.py.)
            return
        self.env.call_later(patience, self._give_up, (incident, live))

    def _give_up(self, event: simpy.Event) -> None:
        incident, live = cast(tuple[Incident, LiveStream], event.value)
        if incident.responded or incident.queue_entry is None:
            return  # an agent answered in time
        flow = self.flow
        now = self.env.now
        flow.teams[incident.team].detach(incident)
        self.recorder.record((now, incident.id, ActivityCode.ABANDONED, incident.team, NO_AGENT))
        incident.resolved = True  # settled: the SLA watch lets it go
        del flow.open[incident.id]
        callback = live.stream.callback
        if callback is not None and live.retry.random() < callback.share:
            delay = float(callback.delay.quantile(np.array([live.retry.random()]))[0])
            self.env.call_later(delay, self._call_back, (incident, live))

    def _call_back(self, event: simpy.Event) -> None:
        first, live = cast(tuple[Incident, LiveStream], event.value)
        self._callbacks += 1
        case = self.recorder.add_case(case_id("CBK", self._callbacks), first.priority, first.category)
        self.recorder.link(case, first.id)  # its parent: the contact that hung up
        incident = Incident(case, first.priority, first.category, self.env.now, list(first.segments),
                            first.reopen_delay, first.reopen_work)
        self.flow.arrive(incident)
        assert live.stream.patience is not None
        patience = float(live.stream.patience.quantile(np.array([live.retry.random()]))[0])
        self.watch(incident, patience, live)
