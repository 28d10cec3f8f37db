"""The model's SimPy environment (simulator/model/engine.py) runs events exactly as SimPy does.

The same random mix of events — timeouts with callbacks, ``call_later`` at the ordinary and the
late priority, processes that wait on timeouts, events triggered by hand, many of them at the
same moment — runs on plain :class:`simpy.Environment` (where ``call_later`` is spelled with
SimPy's own event and ``schedule``) and on :class:`ModelEnvironment`; the traces of
(time, what ran) must be identical, including when the run is cut into pieces by ``run(until)``
and ``step``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from typing import Any

import pytest
import simpy
from simpy.events import NORMAL, EventPriority

from simulator.model.engine import LATE, ModelEnvironment

Trace = list[tuple[float, str]]


def _plain_call_later(env: simpy.Environment, delay: float, callback: Callable[[simpy.Event], None],
                      value: Any = None, priority: EventPriority = NORMAL) -> simpy.Event:
    """What ``call_later`` promises, in SimPy's own terms."""
    event = simpy.Event(env)
    event._ok = True
    event._value = value
    event.callbacks.append(callback)
    env.schedule(event, priority, delay)
    return event


def _schedule_mix(env: simpy.Environment, seed: int, trace: Trace) -> None:
    """Many events, on a coarse grid of times (so that many coincide), each kind interleaved."""
    rng = random.Random(seed)
    if isinstance(env, ModelEnvironment):
        call_later: Callable[..., simpy.Event] = env.call_later
    else:
        def call_later(*args: Any, **kwargs: Any) -> simpy.Event:
            return _plain_call_later(env, *args, **kwargs)
    budget = [400]

    def note(label: str) -> Callable[[simpy.Event], None]:
        def callback(event: simpy.Event) -> None:
            trace.append((env.now, f"{label}={event.value}"))
            if budget[0] > 0:  # each callback schedules more, at delays that collide
                budget[0] -= 1
                spawn(f"{label}.")
        return callback

    def worker(name: str) -> Generator[simpy.Event, None, None]:
        for step in range(3):
            yield env.timeout(rng.choice([0, 1, 2]))
            trace.append((env.now, f"{name} step {step}"))

    def spawn(prefix: str) -> None:
        kind = rng.randrange(6)
        delay = float(rng.choice([0, 0, 1, 2, 3]))
        label = f"{prefix}{kind}"
        if kind == 0:
            env.timeout(delay, label).callbacks.append(note("timeout"))
        elif kind == 1:
            call_later(delay, note("later"), label)
        elif kind == 2:
            call_later(delay, note("late"), label, priority=LATE)
        elif kind == 3:
            env.process(worker(label))
        elif kind == 4:
            event = env.event()
            event.callbacks.append(note("succeeded"))
            event.succeed(label)
        else:
            first = call_later(delay, note("first"), label)
            first.callbacks.append(note("second"))

    for _ in range(40):
        spawn("")


def _trace(env: simpy.Environment, seed: int, pieces: list[float | None]) -> Trace:
    trace: Trace = []
    _schedule_mix(env, seed, trace)
    for until in pieces:
        if until == -1:
            env.step()
        else:
            env.run(until=until)
        trace.append((env.now, f"stopped at {until}"))
    return trace


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("pieces", [[None], [2.0, 2.5, -1, -1, 7, None], [1.0, -1, 3.0, -1, None]])
def test_events_run_in_simpys_order(seed: int, pieces: list[float | None]) -> None:
    expected = _trace(simpy.Environment(), seed, pieces)
    assert len({time for time, _ in expected}) > 3 and len(expected) > 300  # a real mix
    assert _trace(ModelEnvironment(), seed, pieces) == expected


def test_call_later_is_a_triggered_event_with_its_value() -> None:
    env = ModelEnvironment()
    seen: list[tuple[float, object]] = []
    event = env.call_later(5.0, lambda event: seen.append((env.now, event.value)), "payload")
    assert event.triggered and event.ok and not event.processed and event.value == "payload"
    env.run()
    assert seen == [(5.0, "payload")] and event.processed


def test_call_later_refuses_a_negative_delay() -> None:
    with pytest.raises(ValueError, match="Negative delay"):
        ModelEnvironment().call_later(-1.0, lambda event: None)


def test_run_until_an_event_returns_its_value() -> None:
    env = ModelEnvironment()
    assert env.run(until=env.timeout(3.0, "done")) == "done" and env.now == 3.0


def test_a_failed_event_nobody_handles_crashes_the_run_as_in_simpy() -> None:
    for env in (simpy.Environment(), ModelEnvironment()):
        env.event().fail(KeyError("lost"))
        with pytest.raises(KeyError, match="lost"):
            env.run()


def test_running_out_of_events_before_until_is_reported_as_in_simpy() -> None:
    env = ModelEnvironment()
    with pytest.raises(RuntimeError, match="No scheduled events left"):
        env.run(until=env.event())
    with pytest.raises(ValueError, match="must be greater"):
        env.run(until=0.0)
