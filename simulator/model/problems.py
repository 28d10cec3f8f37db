"""Model layer: problem management — latent problems, root-cause analysis, known errors, fixes.

Each *family* of the scenario is a latent problem behind the incidents of one arrival
stream, or behind the outages of one service. It brings its incidents whether or not
anyone manages problems. With problem management on:

1. A problem is **opened** (a case of its own, ``PRB0000001``, …) by trend detection —
   ``related_incidents`` of the family arriving ``within`` a window — or by the
   review after a major incident on the family's service (``review_delay`` after the
   restoration). One problem per family.
2. Its root-cause analysis is a piece of work in the problem team's queue, done by
   one of its agents on their shifts like any ticket (``queued``, ``work started``, …
   on the problem's case).
3. When it is done, the problem is a **known error**: from then on the family's
   tickets are planned with the known error's first-contact resolution and handling
   factor (drawn from the same random numbers as without it), and its outages'
   diagnosis is shortened.
4. The permanent fix is raised as a normal change (its parent is the problem); once
   it is in (**problem fixed**), each later incident of the family is **avoided**
   with probability ``fix_share`` — decided by a uniform of its own, so the same
   incidents are avoided in every design that fixes at the same time — and logged as
   such under the case id it would have had.

From its opening, a problem's life is one SimPy process (:meth:`ProblemHandling._solve`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from simulator.model.incident import NO_AGENT, NO_CASE, NO_SERVICE, ActivityCode, Assignee, Incident, case_id
from simulator.model.teams import Team
from simulator.model.wiring import Wiring
from simulator.scenario.changes import ProblemFamily

if TYPE_CHECKING:
    from simulator.model.changes import ChangeHandling

__all__ = ["FamilyState", "ProblemHandling"]

_A = ActivityCode


class FamilyState:
    """One latent problem during a run (what its root-cause analysis reports to, see
    :class:`~simulator.model.incident.ProblemHooks`)."""

    def __init__(self, name: str, spec: ProblemFamily, env: simpy.Environment) -> None:
        self.name = name
        self.spec = spec
        self.case = NO_CASE  # the problem's case, once opened
        self.known_error = False
        self.fixed = False
        self.recent: deque[float] = deque()  # arrival times within the trend window
        #: The root-cause analysis is done (its value: the agent who did it).
        self.analysis_done = env.event()

    def analysed(self, agent: Assignee) -> None:
        """An agent of the problem team has finished the root-cause analysis."""
        self.analysis_done.succeed(agent)


class ProblemHandling:
    """Opens, analyses and fixes the problems of a run (does nothing while switched off)."""

    def __init__(self, wiring: Wiring, teams: list[Team], changes: ChangeHandling) -> None:
        spec = wiring.scenario.problems
        assert spec is not None
        self.env = wiring.env
        self.scenario = wiring.scenario
        self.spec = spec
        self.enabled = spec.enabled
        self.recorder = wiring.recorder
        self.changes = changes
        self.streams = wiring.streams
        self.team = next(team for team in teams if team.name == spec.team)
        self.families = {name: FamilyState(name, family, self.env)
                         for name, family in spec.families.items()}
        self.by_stream = {family.spec.stream: family for family in self.families.values()
                          if family.spec.stream is not None}
        self.by_service = {family.spec.service: family for family in self.families.values()
                           if family.spec.service is not None}
        self.number = 0

    # -- what the rest of the model tells it ------------------------------------------------
    def avoids(self, family: FamilyState | None, u: float) -> bool:
        """Whether an incident (or outage) of ``family`` is avoided, given its own uniform."""
        return family is not None and family.fixed and u < family.spec.fix_share

    def arrived(self, family: FamilyState) -> None:
        """An incident of the family arrived: trend detection."""
        rule = self.spec.trend
        if not self.enabled or rule is None or family.case != NO_CASE:
            return
        now = self.env.now
        family.recent.append(now)
        while family.recent and family.recent[0] < now - rule.within:
            family.recent.popleft()
        if len(family.recent) >= rule.related_incidents:
            self._open(family)

    def major_incident_restored(self, service: str, outage_case: int) -> None:
        """A major incident on ``service`` is over: its review may open the family's problem."""
        family = self.by_service.get(service)
        if not self.enabled or not self.spec.review_after_major_incident or family is None \
                or family.case != NO_CASE:
            return
        u = self.streams.generator(f"problem/review/{self.recorder.case_names[outage_case]}").random()
        delay = float(self.spec.review_delay.quantile(np.array([u]))[0])
        self.env.process(self._review(family, delay))

    def _review(self, family: FamilyState, delay: float) -> Generator[simpy.Event, None, None]:
        """The review after a major incident, ``delay`` minutes after the restoration."""
        yield self.env.timeout(delay)
        if family.case == NO_CASE:  # unless trend detection, or an earlier review, opened it
            self._open(family)

    def avoided(self, case: int, team: int) -> None:
        """Log an incident or outage that the fix spared."""
        self.recorder.record((self.env.now, case, _A.AVOIDED, team, NO_AGENT))

    # -- the problem's life ------------------------------------------------------------------
    def _open(self, family: FamilyState) -> None:
        """The problem is opened (at once, where it is detected): its analysis is queued."""
        self.number += 1
        lowest = len(self.scenario.priorities) - 1
        spec = family.spec
        categories = self.scenario.categories()
        if spec.stream is not None:
            category, service = categories.index(self.scenario.category_of(spec.stream)), NO_SERVICE
        else:
            assert spec.service is not None
            category = categories.index(self.scenario.storm_category(spec.service))
            service = list(self.scenario.services).index(spec.service)
        family.case = self.recorder.add_case(case_id("PRB", self.number), lowest, category, service)
        self._log(family, _A.PROBLEM_OPENED)
        u = self.streams.generator(f"problem/{family.name}").random()
        work = float(spec.root_cause_analysis.quantile(np.array([u]))[0])
        analysis = Incident(family.case, lowest, category, self.env.now,
                            [(self.team.code, work, 0.0)], float("nan"), 0.0)
        analysis.problem = family
        self.team.enqueue(analysis)
        self.env.process(self._solve(family))

    def _solve(self, family: FamilyState) -> Generator[simpy.Event, Any, None]:
        """From the open problem to its fix: the analysis, the known error, the permanent fix."""
        agent = yield family.analysis_done  # by one of the problem team, on their shifts
        self._log(family, _A.KNOWN_ERROR, agent.code)
        family.known_error = True  # the family's tickets are helped from now on
        yield self.changes.normal(f"fix/{family.name}", family.case, until_in=True)
        self._log(family, _A.PROBLEM_FIXED)
        family.fixed = True  # the family's incidents are avoided from now on

    def _log(self, family: FamilyState, activity: int, agent: int = NO_AGENT) -> None:
        self.recorder.record((self.env.now, family.case, activity, self.team.code, agent))
