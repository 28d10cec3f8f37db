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
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from simulator.model.incident import ActivityCode, Incident, Recorder, case_id
from simulator.model.streams import RandomStreams
from simulator.model.teams import Agent, Team
from simulator.scenario.changes import ProblemFamily
from simulator.scenario.schema import Scenario

if TYPE_CHECKING:
    from simulator.model.changes import ChangeHandling

__all__ = ["FamilyState", "ProblemHandling"]

_A = ActivityCode


class FamilyState:
    """One latent problem during a run."""

    def __init__(self, name: str, spec: ProblemFamily) -> None:
        self.name = name
        self.spec = spec
        self.case = -1  # the problem's case, once opened
        self.known_error = False
        self.fixed = False
        self.recent: deque[float] = deque()  # arrival times within the trend window


class ProblemHandling:
    """Opens, analyses and fixes the problems of a run (does nothing while switched off)."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, recorder: Recorder,
                 teams: list[Team], changes: ChangeHandling, streams: RandomStreams) -> None:
        spec = scenario.problems
        assert spec is not None
        self.env = env
        self.scenario = scenario
        self.spec = spec
        self.enabled = spec.enabled
        self.recorder = recorder
        self.changes = changes
        self.streams = streams
        self.team = next(team for team in teams if team.name == spec.team)
        self.families = {name: FamilyState(name, family) for name, family in spec.families.items()}
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
        if not self.enabled or rule is None or family.case >= 0:
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
                or family.case >= 0:
            return
        u = self.streams.generator(f"problem/review/{self.recorder.case_names[outage_case]}").random()
        delay = float(self.spec.review_delay.quantile(np.array([u]))[0])
        self.env.timeout(delay, family).callbacks.append(self._reviewed)

    def _reviewed(self, event: Any) -> None:
        family: FamilyState = event._value
        if family.case < 0:
            self._open(family)

    # -- the problem's life ------------------------------------------------------------------
    def _open(self, family: FamilyState) -> None:
        self.number += 1
        lowest = len(self.scenario.priorities) - 1
        spec = family.spec
        categories = self.scenario.categories()
        if spec.stream is not None:
            category, service = categories.index(self.scenario.category_of(spec.stream)), -1
        else:
            assert spec.service is not None
            category = categories.index(self.scenario.storm_category(spec.service))
            service = list(self.scenario.services).index(spec.service)
        family.case = self.recorder.add_case(case_id("PRB", self.number), lowest, category, service)
        self.recorder.record((self.env.now, family.case, _A.PROBLEM_OPENED, self.team.code, -1))
        u = self.streams.generator(f"problem/{family.name}").random()
        work = float(spec.root_cause_analysis.quantile(np.array([u]))[0])
        analysis = Incident(family.case, lowest, category, self.env.now,
                            [(self.team.code, work, 0.0)], float("nan"), 0.0)
        analysis.problem = family
        self.team.enqueue(analysis)

    def analysed(self, analysis: Incident, agent: Agent) -> None:
        """Root-cause analysis is done: a known error, and its permanent fix is raised."""
        family: FamilyState = analysis.problem  # type: ignore[assignment]
        self.recorder.record((self.env.now, family.case, _A.KNOWN_ERROR, self.team.code, agent.code))
        family.known_error = True
        self.changes.normal(f"fix/{family.name}", family.case, lambda: self._fixed(family))

    def _fixed(self, family: FamilyState) -> None:
        self.recorder.record((self.env.now, family.case, _A.PROBLEM_FIXED, self.team.code, -1))
        family.fixed = True

    def avoided(self, case: int, team: int) -> None:
        """Log an incident or outage that the fix spared."""
        self.recorder.record((self.env.now, case, _A.AVOIDED, team, -1))
