"""Routing learned from visible hand-offs and reassignment counts, on a hand-made set of visits."""

from __future__ import annotations

import pandas as pd
import pytest

from simulator.calibration.groups import _transfers


def test_hand_offs_the_updates_do_not_show_are_counted_as_extra_per_visible_one() -> None:
    # Ten tickets start in A; two visibly go on to B. The counts say six were reassigned,
    # so four hand-offs are hidden: A's transfer share triples, and there are two hidden
    # hand-offs (out of A, into B) per visible one.
    visits = pd.DataFrame({"case_id": [*range(10), 0, 1], "step": [0] * 10 + [1, 1],
                           "team": ["A"] * 10 + ["B", "B"]})
    counted = pd.Series([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    transfer, stats = _transfers(visits, ["A", "B"], pd.Series({"A": 1.0}), counted)
    assert transfer["A"] == {"B": pytest.approx(0.6)}
    assert stats.factor == pytest.approx(3.0)
    assert stats.hidden_out["A"] == pytest.approx(2.0) and stats.hidden_in["B"] == pytest.approx(2.0)
    visible, stats = _transfers(visits, ["A", "B"], pd.Series({"A": 1.0}), counted.iloc[:0])
    assert visible["A"] == {"B": pytest.approx(0.2)} and stats.hidden_out["A"] == pytest.approx(0.0)
