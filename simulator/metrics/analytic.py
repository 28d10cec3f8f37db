"""Metrics layer: queueing formulas — Erlang B and C, and the offered load of time-varying demand.

Pure NumPy: the numbers a staffing planner would get from tables, to set beside
what the simulation measures.

* Erlang B — the share of arrivals that find all ``servers`` busy when blocked
  arrivals are lost (M/M/c/c; the same for any service-time distribution).
* Erlang C — the probability of waiting in M/M/c: Poisson arrivals, exponential
  service, ``servers`` agents, first come first served, nobody leaves the queue.
  From it the mean wait and the share answered within a time (the service level).
* Erlang A — M/M/c+M: the same queue, but each waiting caller hangs up after an exponential
  patience (mean ``patience_mean``). :func:`erlang_a` gives the probability of waiting, the
  share abandoning, the mean wait and the service level, exactly (see its docstring), and
  tests/validation check it against the birth–death chain solved numerically and against the
  simulation.

Both are computed by the recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)),
which never forms A^c or c! and so neither overflows nor loses precision for
hundreds of servers; C follows from B as C = c·B / (c − A·(1 − B)).

For demand that varies through the week, a plain per-hour formula uses the hour's
arrivals × mean work and misleads when work lasts hours: what keeps agents busy at
10:00 is also the work that arrived at 08:00. :func:`offered_load` gives the
*lagged* offered load — the mean number of jobs an unlimited team would be working
on, m(t) = E[Λ(t) − Λ(t − S)] with Λ the cumulative arrivals and S the work time
(the infinite-server model behind the "pointwise stationary" and "modified offered
load" staffing methods of Green, Kolesar & Whitt, 2007).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from simulator.scenario.calendars import HOURS_PER_WEEK

__all__ = [
    "HOURS_PER_WEEK",
    "ErlangA",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "mean_wait",
    "offered_load",
    "servers_needed",
    "service_level",
]

_MINUTES_PER_WEEK = HOURS_PER_WEEK * 60.0
_STEP_MIN = 5.0  # resolution of the lagged offered load within each hour


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability with ``servers`` servers and ``load`` Erlangs offered (M/M/c/c)."""
    if servers < 0 or load < 0.0:
        raise ValueError(f"expected servers >= 0 and load >= 0; found {servers}, {load}")
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits (M/M/c); 1 when the load reaches the servers."""
    if load >= servers:
        return 1.0
    if load <= 0.0:
        return 0.0
    blocking = erlang_b(servers, load)
    return servers * blocking / (servers - load * (1.0 - blocking))


def mean_wait(servers: int, load: float, service_mean: float) -> float:
    """Mean wait before service in M/M/c (the unit of ``service_mean``); infinite if unstable."""
    if load >= servers:
        return math.inf
    return erlang_c(servers, load) * service_mean / (servers - load)


def service_level(servers: int, load: float, service_mean: float, within: float) -> float:
    """Share of arrivals whose wait is at most ``within`` (same unit as ``service_mean``), M/M/c.

    P(W ≤ t) = 1 − C · exp(−(c − A) · t / s), with C the Erlang C probability.
    """
    if load >= servers:
        return 0.0
    return 1.0 - erlang_c(servers, load) * math.exp(-(servers - load) * within / service_mean)


@dataclass(frozen=True)
class ErlangA:
    """Steady-state measures of an M/M/c+M queue (Erlang A), per arriving caller."""

    p_wait: float  # probability of finding every agent busy (the caller waits, even if briefly)
    p_abandon: float  # share of callers who hang up before an agent answers
    mean_wait: float  # mean time in the queue over all callers (abandoned ones until they hang up)
    service_level: float  # share answered within ``within`` (abandonments count as not answered)


def _erlang_a_states(servers: int, load: float, patience_ratio: float
                     ) -> tuple[float, np.ndarray]:
    """P(all busy) and the distribution of the queue an arrival meets, given all busy.

    With x = c·μ/θ and y = λ/θ, the birth–death chain's stationary probabilities beyond c are
    π(c + j) = π(c) · y^j / ((x + 1)(x + 2)…(x + j)). Their sum is π(c) · M(x, y), with
    M(x, y) = Σ_j y^j/((x+1)…(x+j)) = x·e^y·y^(−x)·γ(x, y) (γ: the lower incomplete gamma
    function; Garnett, Mandelbaum & Reiman, 2002). The series is summed in logarithms, to a
    relative tail below e^−40, so that hundreds of agents neither overflow nor lose precision.
    Below c the chain is Erlang B's, so P(all busy) = 1 / (1 + (1/B − 1)/M).
    """
    x = servers * patience_ratio  # c·μ/θ: patience_ratio is μ/θ = patience mean / service mean
    y = load * patience_ratio  # λ/θ
    if y == 0.0:
        return 0.0, np.array([1.0])
    past_mode = max(0, math.ceil(y - x)) + 1
    count = past_mode + 64
    while True:
        j = np.arange(1, count + 1, dtype=float)
        log_terms = np.concatenate([[0.0], np.cumsum(math.log(y) - np.log(x + j))])
        if log_terms[-1] < log_terms.max() - 40.0:
            break
        count *= 2
    log_m = float(special.logsumexp(log_terms))
    blocking = erlang_b(servers, load)
    p_busy = 1.0 / (1.0 + (1.0 / blocking - 1.0) * math.exp(-log_m)) if blocking > 0 else 0.0
    return p_busy, np.exp(log_terms - log_m)


def erlang_a(servers: int, arrival_rate: float, service_mean: float, patience_mean: float,
             within: float = 0.0) -> ErlangA:
    """Erlang A: ``servers`` agents, Poisson arrivals, exponential service and patience.

    Rates and times in any one unit (e.g. per minute and minutes). Exact: a caller who finds
    ``j`` waiting ahead of them reaches an agent after a sum of exponential phases of rates
    c·μ + kθ (k = j, …, 0), and e^(−θ·T) of such a sum has a Beta(c·μ/θ, j + 1) distribution;
    the caller is answered if their own exponential patience outlasts T, which happens with
    probability e^(−θ·T). So, given j, P(answered) = x/(x + j + 1) and P(answered within t) =
    x/(x + j + 1) · P(Beta(x + 1, j + 1) ≥ e^(−θ·t)), x = c·μ/θ; these are summed over the
    queue an arrival meets (PASTA). The mean wait is P(abandon)·(patience mean), by Little's law
    applied to the callers hanging up.
    """
    if servers < 0 or arrival_rate < 0.0 or service_mean <= 0.0 or patience_mean <= 0.0:
        raise ValueError(f"expected servers >= 0, an arrival rate >= 0 and positive means; found "
                         f"{servers}, {arrival_rate}, {service_mean}, {patience_mean}")
    load = arrival_rate * service_mean
    ratio = patience_mean / service_mean
    p_busy, queue = _erlang_a_states(servers, load, ratio)
    x = servers * ratio
    j = np.arange(len(queue), dtype=float)
    answered = x / (x + j + 1.0)
    p_abandon = p_busy * float(queue @ (1.0 - answered))
    threshold = math.exp(-within / patience_mean)
    late = special.betainc(x + 1.0, j + 1.0, threshold) if x > 0 else np.ones_like(j)
    in_time = (1.0 - p_busy) + p_busy * float(queue @ (answered * (1.0 - late)))
    return ErlangA(p_busy, p_abandon, p_abandon * patience_mean, in_time)


def servers_needed(load: float, good_enough: Callable[[int], bool], limit: int = 100_000) -> int:
    """The fewest servers (at least the load, rounded up, and 1) for which ``good_enough(c)`` holds.

    ``good_enough`` takes a number of servers; the search walks up from
    the smallest stable count, which is right because every Erlang measure improves
    with each added server.
    """
    servers = max(1, math.floor(load) + 1 if load > 0 else 1)
    while not good_enough(servers):
        servers += 1
        if servers > limit:
            raise ValueError(f"expected a requirement some number of servers meets; found none "
                             f"up to {limit:,} for a load of {load:g}")
    return servers


def _cumulative(rates: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Arrivals from the start of the week to ``t`` minutes (any real ``t``), weekly periodic."""
    per_hour = rates * 60.0
    edges = np.concatenate([[0.0], np.cumsum(per_hour)])
    weeks = np.floor(t / _MINUTES_PER_WEEK)
    within = t - weeks * _MINUTES_PER_WEEK
    hours = np.arange(HOURS_PER_WEEK + 1) * 60.0
    return weeks * edges[-1] + np.interp(within, hours, edges)


def offered_load(rates: np.ndarray, work_quantiles: np.ndarray, work_mean: float | None = None
                 ) -> np.ndarray:
    """Lagged offered load (Erlangs) in each hour of the week, averaged over the hour.

    Parameters
    ----------
    rates
        Arrivals per minute in each of the 168 hours of the week (Monday 00–01 first),
        repeating every week.
    work_quantiles
        The work-time distribution (minutes) as equally likely values, e.g. its quantiles
        at the midpoints (k + ½)/n.
    work_mean
        The exact mean work time; the values are scaled to it, so that steady demand
        gives exactly arrival rate × mean work.
    """
    rates = np.asarray(rates, dtype=float)
    if rates.shape != (HOURS_PER_WEEK,):
        raise ValueError(f"expected {HOURS_PER_WEEK} hourly rates; found shape {rates.shape}")
    work = np.asarray(work_quantiles, dtype=float)
    if work_mean is not None and work.mean() > 0:
        work = work * (work_mean / work.mean())
    steps = int(60 / _STEP_MIN)
    t = (np.arange(HOURS_PER_WEEK * steps) + 0.5) * _STEP_MIN
    now = _cumulative(rates, t)
    busy = np.empty_like(t)
    for start in range(0, len(t), 288):  # a day at a time keeps the table small
        chunk = t[start:start + 288]
        before = _cumulative(rates, chunk[:, None] - work[None, :])
        busy[start:start + 288] = now[start:start + 288] - before.mean(axis=1)
    return busy.reshape(HOURS_PER_WEEK, steps).mean(axis=1)
