"""Scenarios with exact queueing-theory answers, shared by the validation tests."""

from __future__ import annotations

import math
from typing import Any

from tests.helpers import TINY, merge


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability of waiting in M/M/c (Erlang C), for ``offered_load`` = λ/μ < ``servers``."""
    term, total = 1.0, 0.0
    for k in range(servers):
        total += term
        term *= offered_load / (k + 1)
    top = term / (1.0 - offered_load / servers)
    return top / (total + top)


def cobham_waits(servers: int, mu: float, rates: list[float]) -> list[float]:
    """Mean waits per class (highest first) in non-preemptive priority M/M/c with equal service rates.

    W_k = C(c, a) / (c μ (1 − σ_{k−1}) (1 − σ_k)), σ_k = Σ_{i ≤ k} λ_i / (c μ) (Cobham 1954).
    """
    load = sum(rates) / mu
    probability_wait = erlang_c(servers, load)
    waits, sigma = [], 0.0
    for rate in rates:
        before, sigma = sigma, sigma + rate / (servers * mu)
        waits.append(probability_wait / (servers * mu * (1 - before) * (1 - sigma)))
    return waits


#: Two priority classes on 5 agents, exponential service with mean 60 minutes, ρ = 0.8.
TWO_CLASSES: dict[str, Any] = merge(TINY, {
    "run": {"horizon": "52w", "warmup": "2w", "seed": 99},
    "arrivals": {"calls": None,
                 "urgent": {"volume": "1.2/h", "impact": {1: 1.0}, "urgency": {1: 1.0}},  # P1
                 "routine": {"volume": "2.8/h", "impact": {2: 1.0}, "urgency": {2: 1.0}}},  # P3
    "teams": {"desk": {"agents": 5}},
    "flow": {"desk": {"handling": {"dist": "exponential", "mean": "60m"}}},
})
TWO_CLASS_WAITS_MIN = [60.0 * wait for wait in cobham_waits(5, 1.0, [1.2, 2.8])]

assert math.isclose(erlang_c(10, 8.0), 0.4091801507964436, rel_tol=1e-12)
