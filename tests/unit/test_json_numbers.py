"""JSON outputs hold finite numbers or null, never NaN or Infinity (which JSON cannot express)."""

from __future__ import annotations

import json
import math

import numpy as np

from simulator.experiment.summary import finite_or_none, interval_document


def test_only_finite_numbers_survive_and_as_plain_floats() -> None:
    assert [finite_or_none(value) for value in (None, math.nan, math.inf, -math.inf)] == [None] * 4
    assert finite_or_none(np.float64(0.25)) == 0.25 and type(finite_or_none(np.float64(0.25))) is float
    assert finite_or_none(3) == 3.0


def test_an_interval_document_is_strict_json() -> None:
    document = interval_document(np.float64(2.5), math.nan, math.inf, np.int64(1))
    assert document == {"mean": 2.5, "ci_low": None, "ci_high": None, "n": 1}
    assert json.dumps(document, allow_nan=False) == '{"mean": 2.5, "ci_low": null, "ci_high": null, "n": 1}'
    assert "n" not in interval_document(1.0, 0.5, 1.5)
