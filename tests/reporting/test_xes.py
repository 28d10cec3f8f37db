"""XES export: pm4py reads the log back unchanged and discovers a process model that replays it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.helpers import TINY, merge, run_cli

# Two days of a desk and two resolver groups: tickets resolved at first contact, escalated,
# transferred, and some waiting on the user, so that the traces differ.
ROUTED = merge(TINY, {
    "run": {"horizon": "2d"},
    "arrivals": {"calls": {"volume": "40/day", "at": None}},
    "teams": {"desk": {"agents": 2}, "L2": {"agents": 2}, "L3": {"agents": 1}},
    "flow": {"desk": {"first_contact_resolution": 0.5, "escalation": {"L2": 0.8, "L3": 0.2}},
             "groups": {"L2": {"handling": "30m", "transfer": {"L3": 0.2},
                               "waiting_on_user": {"probability": 0.3, "duration": "2h"}},
                        "L3": {"handling": "1h"}}}})


def run_events(tmp_path: Path, capsys: pytest.CaptureFixture[str], events: str) -> Path:
    path = tmp_path / "routed.yaml"
    path.write_text(yaml.safe_dump(ROUTED))
    out = tmp_path / events
    code, _, err = run_cli(["run", str(path), "-j", "1", "--events", events, "--out", str(out)], capsys)
    assert code == 0, err
    return out / "events" / f"replication-000.{events}"


@pytest.mark.filterwarnings("ignore:Install the optional requirement:UserWarning")  # pm4py's speed tip
@pytest.mark.slow
def test_xes_reads_back_with_pm4py_and_a_discovered_model_replays_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pm4py

    xes = run_events(tmp_path, capsys, "xes")
    parquet = pd.read_parquet(run_events(tmp_path, capsys, "parquet"))
    log = pm4py.read_xes(str(xes))

    # the same events, under the process-mining names
    for column in ("case:concept:name", "concept:name", "time:timestamp", "org:resource", "org:group",
                   "lifecycle:transition"):
        assert column in log.columns, column
    assert len(log) == len(parquet) > 100
    assert set(log["lifecycle:transition"]) == {"complete"}
    ordered = parquet.sort_values(["case:concept:name", "seq"])
    read = log.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    assert read.groupby("case:concept:name")["concept:name"].apply(list).to_dict() == \
        ordered.groupby("case:concept:name")["concept:name"].apply(list).to_dict()
    assert (read["time:timestamp"].dt.tz_localize(None).astype("datetime64[ms]").to_numpy()
            == ordered["time:timestamp"].astype("datetime64[ms]").to_numpy()).all()
    assert set(log["org:group"].dropna()) == {"desk", "L2", "L3"}

    # a model discovered from the Parquet export has every activity and replays the XES log whole:
    # the two exports tell the same process
    frame = parquet.assign(**{"case:concept:name": parquet["case:concept:name"].astype(str),
                              "concept:name": parquet["concept:name"].astype(str),
                              "time:timestamp": pd.to_datetime(parquet["time:timestamp"], utc=True)})
    net, initial, final = pm4py.discover_petri_net_inductive(frame)
    labels = {transition.label for transition in net.transitions if transition.label is not None}
    assert labels == set(log["concept:name"])
    fitness = pm4py.fitness_token_based_replay(log, net, initial, final)
    assert fitness["perc_fit_traces"] == pytest.approx(100.0)
