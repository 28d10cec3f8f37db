"""The sequential rule (issue 16 item 2): its looks, its verdicts, and — by simulation, where the
true difference is known — the error rates and coverage it achieves, which the docs state.

The simulated studies draw paired differences from a known distribution and let the rule stop
as it would in a study; thousands of studies per case take a few seconds because a verdict is a
t-interval on a handful of numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.experiment.sequential import (
    CLEAR,
    EQUIVALENT,
    NO_DATA,
    UNDECIDED,
    PairedSeries,
    SequentialDecision,
    SequentialRule,
    look_schedule,
)
from simulator.experiment.summary import confidence_interval

STUDIES = 3000
#: Three standard errors of a rate near 5 % over STUDIES studies: the simulations' tolerance.
TOLERANCE = 3 * math.sqrt(0.05 * 0.95 / STUDIES)


@pytest.mark.parametrize(("initial", "cap", "looks"), [
    (5, 40, (5, 10, 20, 40)), (5, 100, (5, 10, 20, 40, 80, 100)), (3, 3, (3,)), (4, 7, (4, 7)),
    (5, 10, (5, 10)), (2, 9, (2, 4, 8, 9)),
])
def test_looks_double_from_the_first_and_end_at_the_cap(initial: int, cap: int,
                                                         looks: tuple[int, ...]) -> None:
    assert look_schedule(initial, cap) == looks


def test_each_look_uses_the_bonferroni_level_for_the_number_of_looks() -> None:
    assert SequentialRule(initial=5, cap=40).look_confidence == pytest.approx(1 - 0.05 / 4)
    assert SequentialRule(initial=5, cap=100).look_confidence == pytest.approx(1 - 0.05 / 6)
    assert SequentialRule(initial=5, cap=5).look_confidence == pytest.approx(0.95)


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"initial": 1}, "expected 2 <= the first look <= the cap; found first look 1"),
    ({"initial": 12, "cap": 10}, "found first look 12 and cap 10"),
    ({"confidence": 1.0}, "expected a confidence from 0.5 up to 1; found 1.0"),
    ({"indifference": {"mtta_min": -1.0}}, "expected indifference amounts of 0 or more"),
])
def test_a_bad_rule_says_what_was_expected(fields: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        SequentialRule(**fields)  # type: ignore[arg-type]


def test_verdicts_by_hand() -> None:
    rule = SequentialRule(initial=3, cap=3)  # one look: a plain 95 % interval, t(0.975, 2) = 4.303
    assert rule.verdict(PairedSeries("up", [2.0, 3.0, 4.0]), 3).outcome == CLEAR  # 3 ± 2.48
    wide = rule.verdict(PairedSeries("wide", [-1.0, 0.0, 1.0], 1.0), 3)
    assert (wide.outcome, wide.mean) == (UNDECIDED, 0.0)
    assert wide.ci_high == pytest.approx(2.484, abs=1e-3)
    assert rule.verdict(PairedSeries("narrow", [-1.0, 0.0, 1.0], 2.5), 3).outcome == EQUIVALENT
    # Identical designs under common random numbers: every difference is 0, decided at once.
    assert rule.verdict(PairedSeries("same", [0.0, 0.0, 0.0]), 3).outcome == EQUIVALENT
    assert rule.verdict(PairedSeries("none", [math.nan, 1.0, math.nan]), 3).outcome == NO_DATA


def test_it_stops_at_the_first_look_where_every_question_is_decided() -> None:
    rule = SequentialRule(initial=2, cap=16)  # looks at 2, 4, 8, 16
    clear = PairedSeries("clear", [5.0, 5.1, 4.9, 5.0] * 4)
    slow = PairedSeries("slow", [1.0, -0.8, 1.2, 1.1, 1.3, 1.4, 1.2, 1.3] * 2)  # clear from 8
    looked: list[int] = []
    decision: SequentialDecision | None = None
    for look in rule.looks():
        decision = rule.decide([clear, slow], look, looked)
        if decision is not None:
            break
        looked.append(look)
    assert decision is not None and decision.decided and decision.used == 8
    assert decision.looks == (2, 4, 8)
    assert [verdict.outcome for verdict in decision.verdicts] == [CLEAR, CLEAR]
    assert decision.reason.startswith("decided after 8 replications (of at most 16): 2 clear")


def test_at_the_cap_it_stops_undecided_and_says_so() -> None:
    rule = SequentialRule(initial=2, cap=4)
    noise = PairedSeries("noise", [1.0, -1.0, 1.0, -1.0])
    assert rule.decide([noise], 2) is None
    decision = rule.decide([noise], 4, [2])
    assert decision is not None and not decision.decided and decision.used == 4
    assert "stopped at the cap of 4 replications" in decision.reason
    assert "1 still undecided" in decision.reason


def _study(rule: SequentialRule, differences: np.ndarray, indifference: float = 0.0
           ) -> SequentialDecision:
    question = PairedSeries("d", differences.tolist(), indifference)
    looked: list[int] = []
    for look in rule.looks():
        decision = rule.decide([question], look, looked)
        if decision is not None:
            return decision
        looked.append(look)
    raise AssertionError("the cap always decides")


def _studies(mean: float, indifference: float = 0.0, *, correct: bool = True, seed: int = 1
             ) -> tuple[dict[str, float], float, float]:
    """Outcome rates, and how often the corrected and the plain 95 % interval at the stop
    covered the true mean, over STUDIES studies of normal differences (sd 1)."""
    rule = SequentialRule(initial=5, cap=40)
    if not correct:  # the same looks, each with a plain 95 % interval
        rule = SequentialRule(initial=5, cap=40, confidence=1 - 0.05 * len(rule.looks()))
        assert rule.look_confidence == pytest.approx(0.95)
    generator = np.random.default_rng(seed)
    outcomes: dict[str, float] = {}
    corrected = plain = 0
    for _ in range(STUDIES):
        differences = generator.normal(mean, 1.0, rule.cap)
        decision = _study(rule, differences, indifference)
        verdict = decision.verdicts[0]
        outcomes[verdict.outcome] = outcomes.get(verdict.outcome, 0) + 1 / STUDIES
        corrected += verdict.ci_low <= mean <= verdict.ci_high
        _, low, high, _ = confidence_interval(differences[:decision.used])
        plain += low <= mean <= high
    return outcomes, corrected / STUDIES, plain / STUDIES


def test_two_identical_designs_are_called_different_at_most_at_the_stated_rate() -> None:
    outcomes, corrected, _ = _studies(0.0)
    # The rule's promise: at most α = 5 % of studies of two designs with no true difference end
    # "clear" (measured 4.0 % with this seed; Bonferroni is conservative).
    assert outcomes.get(CLEAR, 0.0) <= 0.05 + TOLERANCE
    assert outcomes.get(CLEAR, 0.0) >= 0.01  # and the correction is not absurdly strict
    assert corrected >= 0.95 - TOLERANCE


def test_without_the_correction_repeated_looks_call_identical_designs_different_too_often() -> None:
    outcomes, _, _ = _studies(0.0, correct=False)
    assert outcomes.get(CLEAR, 0.0) > 0.05 + TOLERANCE  # 14 % here: why each look is corrected


def test_an_indifference_amount_lets_identical_designs_stop_as_equivalent() -> None:
    outcomes, corrected, _ = _studies(0.0, indifference=0.5)
    assert outcomes.get(CLEAR, 0.0) <= 0.05 + TOLERANCE
    assert outcomes.get(EQUIVALENT, 0.0) > 0.3  # most of the rest stop early, equivalent
    assert corrected >= 0.95 - TOLERANCE


@pytest.mark.parametrize("mean", [0.3, 0.5, 1.0])
def test_a_real_difference_is_found_and_covered(mean: float) -> None:
    outcomes, corrected, plain = _studies(mean, seed=2)
    # The corrected intervals cover the truth in at least 95 % of studies; the plain 95 %
    # intervals a study reports at its stop, a little less (the docs state 91-95 %).
    assert corrected >= 0.95 - TOLERANCE
    assert 0.90 - TOLERANCE <= plain <= 0.96 + TOLERANCE
    assert outcomes.get(EQUIVALENT, 0.0) == 0.0  # never "no difference" without an amount
    if mean >= 1.0:
        assert outcomes.get(CLEAR, 0.0) >= 0.99


def test_an_effect_larger_than_the_indifference_amount_is_rarely_called_equivalent() -> None:
    outcomes, _, _ = _studies(0.75, indifference=0.5, seed=3)
    assert outcomes.get(EQUIVALENT, 0.0) <= 0.05 + TOLERANCE
