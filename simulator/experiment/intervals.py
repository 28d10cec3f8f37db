"""Experiment layer: a roster interval by interval — required, scheduled and available agents,
and the service level the simulation gives, per hour of the week.

This is the table a workforce-management tool shows after scheduling: for each interval, the
agents the formulas require at work (:class:`~simulator.experiment.firstcut.FirstCut`'s hourly
need), the agents the roster schedules (on shift), the agents expected at work once shrinkage
and breaks are taken out, the agents the simulation had at work on average, and, per channel,
the contacts offered and the service level, abandon rate and speed of answer measured.
Replications run one after another in this process (one roster, a few replications).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulator.eventlog.log import SAME_MOMENT_MIN
from simulator.experiment.roster import Post, Roster, apply_roster
from simulator.metrics import KpiContext
from simulator.metrics.coded import encode
from simulator.metrics.hourly import hourly_team_measures
from simulator.metrics.kpis import measure_replication
from simulator.model.simulation import Simulation
from simulator.scenario.calendars import HOURS_PER_WEEK, WEEKDAYS
from simulator.scenario.schema import Scenario

__all__ = ["interval_report"]


def _scheduled(chosen: Sequence[Post], roster: Roster, team: str) -> tuple[np.ndarray, np.ndarray]:
    """Agents on shift, and expected at work, in each hour of the week."""
    mine = [(post, count) for post, count in zip(chosen, roster, strict=True) if post.team == team]
    scheduled = sum((post.coverage * count for post, count in mine), np.zeros(HOURS_PER_WEEK))
    available = sum((post.coverage * post.availability * count for post, count in mine),
                    np.zeros(HOURS_PER_WEEK))
    return scheduled, available


def _hour_of_week(minutes: np.ndarray, scenario: Scenario) -> np.ndarray:
    start = scenario.run.start
    offset = start.weekday() * 1440.0 + start.hour * 60.0 + start.minute
    return (np.floor((minutes + offset) / 60.0).astype(np.int64)) % HOURS_PER_WEEK


def _channel_cells(table: pd.DataFrame, categories: list[str], scenario: Scenario,
                   warmup_end: float) -> dict[str, np.ndarray]:
    """Per channel: (168, 4) counts of contacts offered, decided, answered in time, abandoned,
    plus the summed seconds to answer and the answered count (columns 4 and 5)."""
    cohort = table[table["arrived_min"].to_numpy() >= warmup_end]
    arrived = cohort["arrived_min"].to_numpy()
    wait = cohort["first_work_min"].to_numpy() - arrived
    answered = ~np.isnan(wait)
    abandoned = ~np.isnan(cohort["abandoned_min"].to_numpy())
    hour = _hour_of_week(arrived, scenario)
    cells = {}
    for channel, streams in scenario.channels().items():
        within = min(scenario.arrivals[name].answer_target for name in streams)
        codes = [categories.index(scenario.category_of(name)) for name in streams
                 if scenario.category_of(name) in categories]
        mine = np.isin(cohort["category"].to_numpy(), codes)
        in_time = answered & (np.nan_to_num(wait, nan=np.inf) <= within + SAME_MOMENT_MIN)
        columns = [mine, mine & (answered | abandoned), mine & in_time, mine & abandoned]
        counts = np.stack([np.bincount(hour, weights=c.astype(float), minlength=HOURS_PER_WEEK)
                           for c in columns], axis=1)
        seconds = np.bincount(hour[mine & answered], weights=wait[mine & answered] * 60.0,
                              minlength=HOURS_PER_WEEK)
        answered_n = np.bincount(hour[mine & answered], minlength=HOURS_PER_WEEK)
        cells[channel] = np.column_stack([counts, seconds, answered_n])
    return cells


def interval_report(scenario: Scenario, chosen: Sequence[Post], roster: Roster,
                    required: np.ndarray, replications: int, seed: int | None = None,
                    team: str | None = None) -> pd.DataFrame:
    """One row per hour of the week for ``team`` (default: the desk) under ``roster``.

    Columns: ``weekday``, ``hour``, ``required`` (agents at work the formulas require),
    ``scheduled`` (on shift), ``available_expected`` (after shrinkage and breaks),
    ``available_simulated`` (mean agents on duty in the simulation), and per channel
    ``CHANNEL.contacts`` (offered per week), ``CHANNEL.service_level``,
    ``CHANNEL.abandon_rate`` and ``CHANNEL.asa_s`` (pooled over replications and weeks).
    """
    team = team or scenario.flow.desk.team
    staffed = apply_roster(scenario, chosen, roster)
    context = KpiContext.from_scenario(staffed)
    on_duty = np.zeros(HOURS_PER_WEEK)
    occurrences = np.zeros(HOURS_PER_WEEK)
    cells: dict[str, np.ndarray] = {}
    for replication in range(replications):
        simulation = Simulation(staffed, replication, seed)
        simulation.run()
        log = simulation.results()
        measured = measure_replication(log, context)
        window = measured.teams.window
        hourly = hourly_team_measures(encode(log.events, log.start), measured.teams)
        on_duty += hourly[hourly["team"] == team].sort_values("hour_of_week")["on_duty_min"].to_numpy()
        starts = np.arange(np.ceil(window[0] / 60.0) * 60.0, window[1] - 59.0, 60.0)
        occurrences += np.bincount(_hour_of_week(starts, staffed), minlength=HOURS_PER_WEEK)
        categories = list(log.events["category"].cat.categories)
        for channel, counts in _channel_cells(measured.incidents, categories, staffed,
                                              window[0]).items():
            cells[channel] = cells.get(channel, 0) + counts
    scheduled, available = _scheduled(chosen, roster, team)
    weeks = np.maximum(occurrences, 1)
    frame = pd.DataFrame({
        "weekday": [WEEKDAYS[hour // 24] for hour in range(HOURS_PER_WEEK)],
        "hour": np.arange(HOURS_PER_WEEK) % 24,
        "required": np.asarray(required, dtype=int),
        "scheduled": scheduled.round(2),
        "available_expected": available.round(2),
        "available_simulated": (on_duty / 60.0 / weeks).round(2),
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        for channel, counts in cells.items():
            frame[f"{channel}.contacts"] = (counts[:, 0] / weeks).round(2)
            frame[f"{channel}.service_level"] = counts[:, 2] / counts[:, 1]
            frame[f"{channel}.abandon_rate"] = counts[:, 3] / counts[:, 1]
            frame[f"{channel}.asa_s"] = counts[:, 4] / counts[:, 5]
    return frame
