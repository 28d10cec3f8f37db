"""The UCI 498 ServiceNow log, read in place from ../shared/data (skipped only when it is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.calibration.learn import calibrate
from simulator.calibration.readers import read_log
from simulator.calibration.writer import scenario_yaml
from simulator.scenario.loader import load_scenario

UCI = Path(__file__).resolve().parents[3] / "shared" / "data" / "uci498_incident_event_log.zip"
pytestmark = pytest.mark.skipif(not UCI.is_file(), reason=f"the UCI 498 log is not at {UCI} "
                                "(../shared/data holds the real data; it is never copied into the repo)")


@pytest.mark.slow
def test_the_uci_log_is_read_as_it_is_and_calibrates_to_a_valid_scenario(tmp_path: Path) -> None:
    log = read_log(UCI, "servicenow")
    assert len(log.updates) == 141_712 and len(log.incidents) == 24_918
    assert log.problems == {"resolved time missing (taken from the last row in a resolved state)": 1543,
                            "update before opened (kept)": 5}
    mix = log.incidents["priority"].value_counts(normalize=True)
    assert mix["P3"] == pytest.approx(0.9417, abs=0.0005)
    assert (log.incidents["n_reassigned"] == 0).mean() == pytest.approx(0.544, abs=0.001)
    calibration = calibrate(log)
    report = calibration.report
    assert report["period"] == ["2016-02-29", "2016-06-04"]  # the thin tail after May is left out
    assert report["arrivals"]["per_day"] == pytest.approx(256, abs=3)  # 24,644 incidents over 96 days
    assert report["groups"]["group_70"]["hours"][0] == (0, 24)  # group 70 has night staff
    assert report["groups"]["group_25"]["hours"][0] == (8, 20)  # office hours
    path = tmp_path / "uci.yaml"
    path.write_text(scenario_yaml(calibration.scenario, calibration.comments, "UCI"))
    scenario = load_scenario(path)
    assert scenario.flow.desk.first_contact_resolution == pytest.approx(373 / 24_644, abs=0.002)
    assert scenario.flow.reopen is not None
    assert scenario.flow.reopen.probability == pytest.approx(0.011, abs=0.002)
    assert scenario.flow.closure_delay == 120 * 60.0  # the 5-day auto-close
    # made_sla is reproduced by one resolution target for 9 incidents in 10 (P3: 90.6 %)
    assert report["sla"]["P3"]["agreement"] > 0.85
    # At group 70 a ticket it resolves first-hand takes minutes, and one that reached it from
    # another group far longer: handling by kind of visit.
    group = scenario.flow.groups["group_70"]
    assert group.handling_when_transferred is not None and group.handling_after_transfer is not None
    medians = [float(d.quantile(np.array([0.5]))[0]) for d in (
        group.handling, group.handling_when_transferred, group.handling_after_transfer)]
    assert medians[0] < 15.0 and max(medians[:2]) * 10 < medians[2]
    # Routing with memory (the default) reproduces the counted hand-offs per ticket — their mean
    # too, which a memoryless matrix matched to the share never reassigned does not.
    routing = report["routing"]
    assert routing["model_per_ticket"] == pytest.approx(routing["counted_per_ticket"], rel=0.01)
    assert group.transfer_by_history and len(routing["stage_factors"]) == 4
    assert report["columns"]["not_used"] == {}  # the preset maps only what calibration uses
    memoryless = calibrate(log, routing="counted").report["routing"]
    assert abs(memoryless["model_per_ticket"] / memoryless["counted_per_ticket"] - 1) > 0.03
    # The updates show fewer hand-offs than the reassignment counts: --routing counted scales
    # them up, --routing visible keeps them.
    assert memoryless["factor"] > 1.1
    visible = calibrate(log, routing="visible").report["routing"]
    assert visible["factor"] == pytest.approx(1.0)
    assert visible["model_per_ticket"] < memoryless["model_per_ticket"]
