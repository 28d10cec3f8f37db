"""Model layer: an incident while it is being handled, and the recorder of what happens to it.

:class:`Incident` is the model's mutable working record of one ticket (where it
is in its plan, who holds it, its SLA clocks). Everything that happens to it is
written by the :class:`Recorder` as rows of the event log; once a run ends, the
event log is the only output, and nothing reads the incident objects again.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, overload

import numpy as np
import pandas as pd

from simulator.eventlog.log import ACTIVITIES, Activity, SimulationLog
from simulator.model.planning import Segment

__all__ = [
    "NO_AGENT",
    "NO_CASE",
    "NO_SERVICE",
    "NO_SYMPTOM",
    "NO_TEAM",
    "ActivityCode",
    "Assignee",
    "Incident",
    "OutageHooks",
    "ProblemHooks",
    "RecordedColumns",
    "Recorder",
    "Row",
    "Rows",
    "case_id",
]

# The sentinels below are -1 because that is the code pandas reads as "missing" when the
# recorder turns its columns into categoricals (``pd.Categorical.from_codes``).

#: In a row: no agent acts (the event log's ``agent`` is empty).
NO_AGENT: Final = -1
#: In a row: no team is concerned (a normal change's own events).
NO_TEAM: Final = -1
#: A case with no parent, or a problem not yet opened.
NO_CASE: Final = -1
#: A case about no service (only outages and the tickets about them have one).
NO_SERVICE: Final = -1
#: An incident that is no symptom of an outage.
NO_SYMPTOM: Final = -1


def case_id(prefix: str, number: int) -> str:
    """A ServiceNow-style case id: ``case_id("INC", 1)`` → ``"INC0000001"``.

    Regular incidents are ``INC`` numbered by arrival order in the plan (so the same incident
    has the same id in every design that shares its arrivals), tickets of the initial backlog
    ``BKL``, tickets injected during a run ``INJ`` and contacts that call back after abandoning
    ``CBK``.
    """
    return f"{prefix}{number:07d}"


def _code(activity: Activity) -> int:
    return ACTIVITIES.index(activity)


class ActivityCode:
    """The index of each :class:`~simulator.eventlog.log.Activity` in ``ACTIVITIES``: what rows store.

    Each code is worked out from its activity, so the order is the enum's alone (a test checks
    that every activity has its code, under its own name). Plain ints, not an ``IntEnum``: the
    model writes ~9 rows an incident, and a plain int is the cheapest thing to put in a row.
    """

    ARRIVED: Final = _code(Activity.ARRIVED)
    QUEUED: Final = _code(Activity.QUEUED)
    ASSIGNED: Final = _code(Activity.ASSIGNED)
    WORK_STARTED: Final = _code(Activity.WORK_STARTED)
    INTERRUPTED: Final = _code(Activity.INTERRUPTED)
    PAUSED: Final = _code(Activity.PAUSED)
    RESUMED: Final = _code(Activity.RESUMED)
    ESCALATED: Final = _code(Activity.ESCALATED)
    REASSIGNED: Final = _code(Activity.REASSIGNED)
    RESOLVED: Final = _code(Activity.RESOLVED)
    REOPENED: Final = _code(Activity.REOPENED)
    CLOSED: Final = _code(Activity.CLOSED)
    RESPONSE_SLA_BREACHED: Final = _code(Activity.RESPONSE_SLA_BREACHED)
    RESOLUTION_SLA_BREACHED: Final = _code(Activity.RESOLUTION_SLA_BREACHED)
    LINKED: Final = _code(Activity.LINKED)
    AWAITING_RESTORATION: Final = _code(Activity.AWAITING_RESTORATION)
    OUTAGE_STARTED: Final = _code(Activity.OUTAGE_STARTED)
    ALERT_FIRED: Final = _code(Activity.ALERT_FIRED)
    DETECTED: Final = _code(Activity.DETECTED)
    PROPOSED: Final = _code(Activity.PROPOSED)
    DECLARED: Final = _code(Activity.DECLARED)
    JOINED: Final = _code(Activity.JOINED)
    ASSEMBLED: Final = _code(Activity.ASSEMBLED)
    DIAGNOSED: Final = _code(Activity.DIAGNOSED)
    WORKAROUND_STARTED: Final = _code(Activity.WORKAROUND_STARTED)
    WORKAROUND_APPLIED: Final = _code(Activity.WORKAROUND_APPLIED)
    RESTORED: Final = _code(Activity.RESTORED)
    UPDATE: Final = _code(Activity.UPDATE)
    LEFT: Final = _code(Activity.LEFT)
    CHANGE_REQUESTED: Final = _code(Activity.CHANGE_REQUESTED)
    ECAB_MEMBER_JOINED: Final = _code(Activity.ECAB_MEMBER_JOINED)
    CHANGE_APPROVED: Final = _code(Activity.CHANGE_APPROVED)
    CHANGE_REJECTED: Final = _code(Activity.CHANGE_REJECTED)
    IMPLEMENTATION_STARTED: Final = _code(Activity.IMPLEMENTATION_STARTED)
    CHANGE_IMPLEMENTED: Final = _code(Activity.CHANGE_IMPLEMENTED)
    CHANGE_FAILED: Final = _code(Activity.CHANGE_FAILED)
    BACKED_OUT: Final = _code(Activity.BACKED_OUT)
    PROBLEM_OPENED: Final = _code(Activity.PROBLEM_OPENED)
    KNOWN_ERROR: Final = _code(Activity.KNOWN_ERROR)
    PROBLEM_FIXED: Final = _code(Activity.PROBLEM_FIXED)
    AVOIDED: Final = _code(Activity.AVOIDED)
    ABANDONED: Final = _code(Activity.ABANDONED)


class Assignee(Protocol):
    """Whoever works on a ticket, as the ticket and the hooks below see them: the number the
    event log knows them by. (In the model, a :class:`~simulator.model.teams.Agent`; a protocol,
    so that this module need not import the teams, which import it.)"""

    code: int


class OutageHooks(Protocol):
    """What the flow asks of the outage a ticket is about (see :mod:`simulator.model.major`)."""

    def hold(self, ticket: Incident, agent: Assignee) -> bool:
        """Whether the ticket, its segment of work done, waits for the service instead."""

    def resolved(self, ticket: Incident) -> None:
        """The ticket was resolved (for the outage's primary ticket: the service is back)."""


class ProblemHooks(Protocol):
    """What the flow tells the problem a root-cause analysis is for (see :mod:`simulator.model.problems`)."""

    def analysed(self, agent: Assignee) -> None:
        """``agent`` has finished the root-cause analysis."""


class Incident:
    """One ticket's state in the model."""

    __slots__ = (
        "arrival",
        "assignee",
        "awaiting",
        "category",
        "clock_since",
        "clock_used",
        "clock_version",
        "entered",
        "escalated",
        "id",
        "outage",
        "priority",
        "problem",
        "queue_entry",
        "remaining",
        "reopen_delay",
        "reopen_work",
        "resolution_breached",
        "resolved",
        "responded",
        "segments",
        "step",
        "symptom",
        "team",
    )

    def __init__(self, case: int, priority: int, category: int, arrival: float,
                 segments: list[Segment], reopen_delay: float, reopen_work: float) -> None:
        self.id = case
        self.priority = priority
        self.category = category
        self.arrival = arrival
        self.segments = segments
        self.step = 0
        # Its first team, and the work left in the current segment (minutes).
        self.team, self.remaining, _ = segments[0]
        self.assignee: Assignee | None = None
        self.queue_entry: tuple[int, int, float, int, Incident] | None = None
        self.entered = arrival  # when it joined its current queue (FCFS order)
        self.escalated = False
        self.responded = False
        self.resolved = False
        self.reopen_delay = reopen_delay
        self.reopen_work = reopen_work
        # Resolution SLA clock: working minutes used before ``clock_since``, while it runs.
        self.clock_used = 0.0
        self.clock_since = arrival
        self.clock_version = 0
        self.resolution_breached = False
        self.outage: OutageHooks | None = None  # the outage this ticket is about, if any
        self.symptom = NO_SYMPTOM  # about an outage: 0 for its alert, 1, 2, … for users' reports
        self.problem: ProblemHooks | None = None  # for a root-cause analysis: the problem it is for
        self.awaiting = False  # logged, waiting (in no queue) for its outage to be restored


#: One event-log row as the model writes it: ``(time, case, activity, team, agent)``.
Row = tuple[float, int, int, int, int]
_ROW_WIDTH = 5


class Rows(Sequence[Row]):
    """The rows recorded so far, read as ``(time, case, activity, team, agent)`` tuples.

    A read-only view of the recorder's flat list, which holds the five values of each row one
    after the other (see :class:`Recorder`)."""

    def __init__(self, values: list[float]) -> None:
        self._values = values

    def __len__(self) -> int:
        return len(self._values) // _ROW_WIDTH

    def __iter__(self) -> Iterator[Row]:
        values, width = self._values, _ROW_WIDTH
        return zip(values[0::width], *(map(int, values[column::width]) for column in range(1, width)),
                   strict=True)

    def activities(self) -> list[int]:
        """Each row's activity code, in order (one slice of the flat list: cheap)."""
        return [int(code) for code in self._values[2::_ROW_WIDTH]]

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("row index out of range")
        start = _ROW_WIDTH * index
        time, case, activity, team, agent = self._values[start:start + _ROW_WIDTH]
        return (time, int(case), int(activity), int(team), int(agent))


class Recorder:
    """Collects event-log rows in one flat list (cheap on the hot path), builds tables at the end."""

    def __init__(self, team_names: list[str], priority_names: list[str],
                 category_names: list[str], service_names: list[str] | None = None) -> None:
        # The five values of each row, one row after the other: extending a list by a short-lived
        # tuple is about four times cheaper than keeping the tuple (no object per row to allocate
        # and later scan), and the whole list becomes one float array at the end in one pass.
        self._values: list[float] = []
        #: The rows so far, as tuples (a view).
        self.rows = Rows(self._values)
        #: Write one row ``(time, case, activity, team, agent)`` (:data:`NO_AGENT` where none). It is
        #: the list's own ``extend``, the cheapest call there is: the model writes ~9 rows an incident.
        self.record = self._values.extend
        self.duty: list[tuple[float, int, int, bool]] = []
        self.team_names = team_names
        self.priority_names = priority_names
        self.category_names = category_names
        self.agent_names: list[str] = []
        self.case_names: list[str] = []
        self.case_priority: list[int] = []
        self.case_category: list[int] = []
        # Case attributes of outages and the tickets about them (NO_SERVICE, NO_CASE for every other case).
        self.service_names = service_names or []
        self.case_service: list[int] = []
        self.case_parent: list[int] = []

    def add_case(self, name: str, priority: int, category: int, service: int = NO_SERVICE) -> int:
        """Register a new incident under its case id; return its case number (a row index)."""
        self.case_names.append(name)
        self.case_priority.append(priority)
        self.case_category.append(category)
        self.case_service.append(service)
        self.case_parent.append(NO_CASE)
        return len(self.case_priority) - 1

    def link(self, case: int, parent: int) -> None:
        """Record ``parent`` (an outage's, a change's or a problem's case) as the parent of ``case``."""
        self.case_parent[case] = parent

    def add_agent(self, name: str) -> int:
        """Register an agent; return its number."""
        self.agent_names.append(name)
        return len(self.agent_names) - 1

    def log_duty(self, time: float, team: int, agent: int, on_duty: bool) -> None:
        """An agent came on (``True``) or went off duty."""
        self.duty.append((time, team, agent, on_duty))

    def columns(self) -> RecordedColumns:
        """The rows recorded so far as NumPy columns (see :class:`RecordedColumns`)."""
        values = self._values
        times = _numbers(values[0::_ROW_WIDTH], "d")
        case, activity, team, agent = (_numbers(values[column::_ROW_WIDTH], "q")
                                       for column in range(1, _ROW_WIDTH))
        return RecordedColumns(_milliseconds(times), case, activity, team, agent,
                               _numbers(self.case_priority, "q"), _numbers(self.case_category, "q"),
                               _numbers(self.case_service, "q"), _numbers(self.case_parent, "q"))

    def duty_frame(self, start: dt.datetime) -> pd.DataFrame:
        """The duty log (columns :data:`~simulator.eventlog.log.DUTY_COLUMNS`) of a run from ``start``."""
        duty_table = np.array(self.duty, dtype=[("t", "f8"), ("team", "i8"), ("agent", "i8"),
                                                ("on", "?")])
        return pd.DataFrame({
            "timestamp": _timestamps(_milliseconds(duty_table["t"]), np.datetime64(start, "ns")),
            "team": pd.Categorical.from_codes(duty_table["team"], categories=self.team_names),
            "agent": pd.Categorical.from_codes(duty_table["agent"],
                                               categories=_unique(self.agent_names)),
            "on_duty": duty_table["on"],
        })

    def build(self, start: dt.datetime, end_minutes: float, warmup_minutes: float,
              monitors: dict[str, dict[str, float]]) -> SimulationLog:
        """The run's :class:`SimulationLog`."""
        events = _events_frame(self.columns(), self, np.datetime64(start, "ns"))
        return SimulationLog(events, self.duty_frame(start), start,
                             start + dt.timedelta(minutes=end_minutes),
                             start + dt.timedelta(minutes=warmup_minutes), monitors)


@dataclass(frozen=True)
class RecordedColumns:
    """The recorded rows as NumPy columns, one value a row, as the event-log table is built from them.

    ``milliseconds`` is each row's time since the start, rounded to the millisecond (the event
    log's resolution); ``case``, ``activity``, ``team`` and ``agent`` are the rows' codes (-1 for
    none); ``case_priority``, ``case_category``, ``case_service`` and ``case_parent`` have one value
    a *case*, indexed by its number.
    """

    milliseconds: np.ndarray
    case: np.ndarray
    activity: np.ndarray
    team: np.ndarray
    agent: np.ndarray
    case_priority: np.ndarray
    case_category: np.ndarray
    case_service: np.ndarray
    case_parent: np.ndarray


def _unique(names: list[str]) -> list[str]:
    if len(set(names)) != len(names):
        raise ValueError("agent names must be unique")
    return names


def _milliseconds(minutes: np.ndarray) -> np.ndarray:
    # Round to the nearest millisecond: float minutes carry binary noise far below that.
    return np.rint(minutes * 60_000.0).astype(np.int64)


def _timestamps(milliseconds: np.ndarray, origin: np.datetime64) -> np.ndarray:
    # In integer nanoseconds since the epoch, which is what ``origin + milliseconds`` as datetime64
    # arithmetic computes, without its unit conversion and not-a-time checks on every value.
    return (milliseconds * 1_000_000 + origin.astype(np.int64)).view("datetime64[ns]")


def _numbers(values: Sequence[float], code: str) -> np.ndarray:
    """Python numbers as a float64 (``code`` ``"d"``) or int64 (``"q"``) array.

    ``struct`` packs each number straight into its machine form, at less than half the
    instructions a value of ``np.fromiter`` or ``np.asarray`` (which pack each value through NumPy's
    generic, type-checking path); the result is the same array. A value ``struct`` refuses (a
    float among the int64s) goes the old way, which truncates it as before.
    """
    dtype = np.float64 if code == "d" else np.int64
    try:
        packed = struct.pack(f"{len(values)}{code}", *values)
    except struct.error:
        return np.fromiter(values, dtype=dtype, count=len(values))
    return np.frombuffer(packed, dtype=dtype)


def _events_frame(columns: RecordedColumns, recorder: Recorder, origin: np.datetime64) -> pd.DataFrame:
    case = columns.case
    # The case ids are the categories of two columns: checked (unique) and converted once.
    cases = pd.CategoricalDtype(recorder.case_names)
    return pd.DataFrame({
        "seq": np.arange(len(case), dtype=np.int64),
        "case_id": pd.Categorical.from_codes(case, dtype=cases),
        "timestamp": _timestamps(columns.milliseconds, origin),
        "activity": pd.Categorical.from_codes(columns.activity, categories=list(ACTIVITIES)),
        "team": pd.Categorical.from_codes(columns.team, categories=recorder.team_names),
        "agent": pd.Categorical.from_codes(columns.agent, categories=_unique(recorder.agent_names)),
        "priority": pd.Categorical.from_codes(columns.case_priority[case],
                                              categories=recorder.priority_names),
        "category": pd.Categorical.from_codes(columns.case_category[case],
                                              categories=recorder.category_names),
        "service": pd.Categorical.from_codes(columns.case_service[case],
                                             categories=recorder.service_names),
        "parent": pd.Categorical.from_codes(columns.case_parent[case], dtype=cases),
    }, copy=False)
