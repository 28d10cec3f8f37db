"""Erlang A (M/M/c+M) against an independent computation, exact limits and square-root staffing.

* The birth–death chain of the number of callers in the system, truncated far in its tail and
  solved numerically (the balance equations, one by one, in logarithms), gives P(wait), the
  abandonment share and the mean wait by Little's law; the service level comes from the
  caller's own journey through the queue as a phase-type distribution (a matrix exponential),
  not from the Beta identity :func:`erlang_a` uses.
* Exact limits: infinite patience is Erlang C; patience as long as service makes the number in
  the system Poisson (an M/M/∞ in disguise), so P(wait) is a Poisson tail.
* Square-root staffing c = R + β√R (Borst, Mandelbaum & Reiman, Operations Research 2004, with
  β from the Halfin–Whitt delay probability α = [1 + β·Φ(β)/φ(β)]⁻¹) lands within one agent of
  the exact optimiser (the fewest agents whose Erlang C P(wait) is at most α) on large queues.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import linalg, stats
from scipy.optimize import brentq

from simulator.metrics.analytic import erlang_a, erlang_c, mean_wait, servers_needed, service_level

# (agents, arrivals per minute, mean service minutes, mean patience minutes)
CASES = [(1, 0.08, 10.0, 5.0), (10, 9 / 60, 60.0, 30.0), (12, 0.5, 5.0, 2.0),
         (50, 2.0, 20.0, 3.0), (30, 8.0, 4.0, 1.5), (100, 25.0, 4.0, 0.5), (5, 3.0, 4.0, 2.0)]


def _chain(servers: int, rate: float, service: float, patience: float) -> tuple[np.ndarray, int]:
    """Stationary distribution of the number in system, solved state by state in logarithms."""
    mu, theta = 1.0 / service, 1.0 / patience
    size = servers + int(rate / theta + 50 * math.sqrt(rate / theta + 1) + 200)
    log_pi = np.zeros(size + 1)
    for k in range(1, size + 1):
        log_pi[k] = log_pi[k - 1] + math.log(rate) - math.log(min(k, servers) * mu
                                                              + max(k - servers, 0) * theta)
    pi = np.exp(log_pi - log_pi.max())
    return pi / pi.sum(), size


def _answered_within(servers: int, service: float, patience: float, ahead: int,
                     within: float) -> float:
    """P(a caller with ``ahead`` waiting before them is answered within ``within``): a
    continuous-time chain on (callers ahead, tagged caller waiting) with two absorbing states."""
    mu, theta = 1.0 / service, 1.0 / patience
    states = ahead + 1  # j = ahead, …, 0 callers ahead; then answered, abandoned
    q = np.zeros((states + 2, states + 2))
    for index in range(states):
        j = ahead - index
        forward = servers * mu + j * theta  # someone ahead leaves, or (j = 0) the caller is answered
        q[index, index + 1 if j > 0 else states] = forward
        q[index, states + 1] = theta  # the caller hangs up
        q[index, index] = -(forward + theta)
    return float(linalg.expm(q * within)[0, states])


@pytest.mark.parametrize(("servers", "rate", "service", "patience"), CASES)
def test_erlang_a_is_the_birth_death_chain(servers: int, rate: float, service: float,
                                           patience: float) -> None:
    pi, size = _chain(servers, rate, service, patience)
    queue = np.maximum(np.arange(size + 1) - servers, 0)
    exact = erlang_a(servers, rate, service, patience)
    assert exact.p_wait == pytest.approx(pi[servers:].sum(), rel=1e-9)
    assert exact.p_abandon == pytest.approx((pi @ queue) / patience / rate, rel=1e-9)
    assert exact.mean_wait == pytest.approx((pi @ queue) / rate, rel=1e-9)


@pytest.mark.parametrize(("servers", "rate", "service", "patience"), CASES[:5])
@pytest.mark.parametrize("within", [1 / 3, 2.0])
def test_erlang_a_service_level_is_the_callers_journey(servers: int, rate: float, service: float,
                                                       patience: float, within: float) -> None:
    pi, _ = _chain(servers, rate, service, patience)
    meets = pi[:servers].sum()
    for ahead in range(0, len(pi) - servers):
        weight = pi[servers + ahead]
        if weight < 1e-13:
            break
        meets += weight * _answered_within(servers, service, patience, ahead, within)
    assert erlang_a(servers, rate, service, patience, within).service_level == pytest.approx(
        meets, abs=1e-9)


def test_infinite_patience_is_erlang_c() -> None:
    result = erlang_a(10, 8 / 60, 60.0, 1e9, within=5.0)
    assert result.p_wait == pytest.approx(erlang_c(10, 8.0), rel=1e-6)
    assert result.p_wait == pytest.approx(0.4092, abs=1e-4)  # the value scenarios/mmc.yaml quotes
    assert result.mean_wait == pytest.approx(mean_wait(10, 8.0, 60.0), rel=1e-5)
    assert result.service_level == pytest.approx(service_level(10, 8.0, 60.0, 5.0), rel=1e-6)
    assert result.p_abandon < 1e-7


@pytest.mark.parametrize(("servers", "load"), [(5, 3.0), (20, 22.0), (80, 75.0)])
def test_patience_as_long_as_service_makes_the_system_poisson(servers: int, load: float) -> None:
    # With θ = μ every caller leaves at rate μ whether served or not: M/M/∞ in disguise.
    result = erlang_a(servers, load / 7.0, 7.0, 7.0)
    assert result.p_wait == pytest.approx(stats.poisson.sf(servers - 1, load), rel=1e-9)


def test_abandonment_makes_an_overloaded_queue_stable_and_fewer_agents_suffice() -> None:
    overloaded = erlang_a(10, 12 / 60, 60.0, 5.0)  # 12 Erlangs on 10 agents: Erlang C diverges
    assert 0.15 < overloaded.p_abandon < 0.3 and overloaded.p_wait < 1.0
    c_erlang_c = servers_needed(40.0, lambda c: service_level(c, 40.0, 5.0, 1 / 3) >= 0.8)
    c_erlang_a = servers_needed(40.0, lambda c: erlang_a(c, 8.0, 5.0, 2.0, 1 / 3).service_level
                                >= 0.8)
    assert c_erlang_a < c_erlang_c


def _halfin_whitt_beta(alpha: float) -> float:
    return float(brentq(lambda b: 1.0 / (1.0 + b * stats.norm.cdf(b) / stats.norm.pdf(b)) - alpha,
                        1e-9, 10.0))


@pytest.mark.parametrize("load", [100.0, 400.0, 1000.0])
@pytest.mark.parametrize("alpha", [0.1, 0.3, 0.5, 0.8])
def test_square_root_staffing_is_within_one_agent_of_the_optimiser(load: float, alpha: float) -> None:
    rule = math.ceil(load + _halfin_whitt_beta(alpha) * math.sqrt(load))
    optimal = servers_needed(load, lambda c: erlang_c(c, load) <= alpha)
    assert abs(rule - optimal) <= 1, (rule, optimal)
