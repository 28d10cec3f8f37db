"""``-r until-clear`` (issue 16 item 2): compare, roi, sensitivity and staff add replications
until their decision is clear, say how many they used, and keep the numbers a fixed ``-r`` of
that count gives.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.experiment import Execution
from simulator.experiment.compare import compare_designs
from simulator.experiment.sequential import CLEAR, EQUIVALENT, SequentialRule
from simulator.scenario import load_scenario
from tests.helpers import run_cli

ROOT = Path(__file__).parents[2]
MMC = str(ROOT / "scenarios" / "mmc.yaml")
WITHOUT, WITH = (str(ROOT / "scenarios" / f"{name}.yaml") for name in ("without-mim", "with-mim"))
SHORT = ["--set", "run.horizon=4d", "--set", "run.warmup=1d", "-j", "2"]


def test_compare_stops_at_the_first_look_where_the_difference_is_clear(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["compare", MMC, "--vary", "teams.agents.agents=13", *SHORT,
                              "-r", "until-clear", "--decide", "mtta_min", "--format", "json"], capsys)
    assert code == 0, err
    document = json.loads(out)
    stopping = document["stopping"]
    used = stopping["replications_used"]
    # Looks double from 5 (5, 10, 20, 40); the rule stops at the first clear one, well before the cap.
    assert stopping["decided"] and used < 40 and stopping["looks"] == [5 * 2 ** k for k in
                                                                       range(len(stopping["looks"]))]
    assert stopping["looks"][-1] == used
    assert [verdict["outcome"] for verdict in stopping["verdicts"]] == [CLEAR]
    verdict = stopping["verdicts"][0]
    assert verdict["ci_high"] < 0 and verdict["n"] == used  # 13 agents wait less than 10
    assert stopping["look_confidence"] == pytest.approx(0.9875)
    assert {design["kpis"]["mtta_min"]["n"] for design in document["designs"]} == {used}
    assert (f"replications: until-clear — decided after {used} replications (of at most 40)"
            in " ".join(err.split()))
    # The same numbers as a fixed -r of that count: the rule chooses how many, not what they are.
    code, fixed, _ = run_cli(["compare", MMC, "--vary", "teams.agents.agents=13", *SHORT, "-r",
                              str(used), "--format", "json", "--no-cache"], capsys)
    assert json.loads(fixed) == {key: value for key, value in document.items() if key != "stopping"}


def test_identical_designs_are_decided_equivalent_at_once() -> None:
    scenario = load_scenario(MMC, ["run.horizon=3d", "run.warmup=1d"])
    rule = SequentialRule(("mtta_min", "mttr_h", "P3.mtta_min"))
    comparison = compare_designs([("a", scenario), ("b", scenario)], Execution(rule, workers=1))
    decision = comparison.decision
    assert decision is not None and decision.used == 5  # common random numbers: every difference 0
    assert {verdict.outcome for verdict in decision.verdicts} == {EQUIVALENT}  # type: ignore[union-attr]


def test_a_comparison_that_cannot_be_decided_stops_at_the_cap_and_says_so(
        capsys: pytest.CaptureFixture[str]) -> None:
    # Arrivals 0.1 % slower: a true difference far smaller than 6 short replications can resolve,
    # and an indifference of 0 cannot call it equivalent either.
    code, _, err = run_cli(["compare", MMC, "--vary", "arrivals.tickets.volume=7.99/h", *SHORT,
                            "-r", "until-clear", "--decide", "mttr_h", "--threshold", "mttr_h=0",
                            "--min-replications", "3", "--max-replications", "6"], capsys)
    assert code == 0, err
    assert ("replications: until-clear — stopped at the cap of 6 replications, not every question "
            "decided" in " ".join(err.split()))


@pytest.mark.slow  # a whole study (5-30 s): out of the fast subset; make test runs it
def test_roi_stops_once_the_net_benefit_is_clearly_above_or_below_zero(
        capsys: pytest.CaptureFixture[str]) -> None:
    # --input-sets 0: one answer at the prices' base values (with-mim.yaml gives them as ranges).
    single = ["roi", WITHOUT, WITH, "--years", "3", "--investment", "250000", "--input-sets", "0",
              "--set", "run.horizon=10w", "--set", "run.warmup=1w",
              "--set", "services.customer_portal.failures.every.mean=4d", "-r", "until-clear",
              "-j", "2"]
    code, out, err = run_cli([*single, "--format", "json"], capsys)
    assert code == 0, err
    document = json.loads(out)
    [verdict] = document["stopping"]["verdicts"]
    assert verdict["question"] == "net benefit over 3 years" and verdict["outcome"] == CLEAR
    assert document["replications"] == document["stopping"]["replications_used"]
    net = document["net_benefit"]
    assert net["ci_low"] > 0 or net["ci_high"] < 0  # the sign is known
    assert "replications: until-clear — decided after" in " ".join(err.split())
    code, markdown, _ = run_cli([*single, "--format", "markdown"], capsys)
    assert (f"{document['replications']} paired replications (-r until-clear: as many as it took to "
            f"know the net benefit's sign)" in " ".join(markdown.split()))


@pytest.mark.slow  # a whole study (5-30 s): out of the fast subset; make test runs it
def test_an_roi_study_under_until_clear_starts_at_the_first_look_and_keeps_its_own_rule(
        capsys: pytest.CaptureFixture[str]) -> None:
    # A study (prices as ranges) adds replications until simulation noise is under
    # --noise-target; -r until-clear starts it at --min-replications, here 3, capped at 6.
    code, out, err = run_cli(["roi", WITHOUT, WITH, "--years", "3", "--input-sets", "20",
                              "--set", "run.horizon=6w", "--set", "run.warmup=1w",
                              "-r", "until-clear", "--min-replications", "3",
                              "--max-study-replications", "6", "-j", "2", "--format", "json"],
                             capsys)
    assert code == 0, err
    document = json.loads(out)
    assert document["batches"][0]["replications"] == 3
    assert document["replications"] == sum(batch["replications"] for batch in document["batches"]) <= 6
    said = " ".join(err.split())
    assert (f"replications: until-clear — an ROI study adds them until simulation noise is at most "
            f"10% of the spread of the net benefit (at most 6): used {document['replications']}"
            in said)


def test_sensitivity_stops_once_every_effect_is_decided(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["sensitivity", MMC, "--range", "teams.agents.agents=11:13",
                              "--range", "priorities.P3.response=20m:40m", "--kpi", "mtta_min",
                              *SHORT, "-r", "until-clear", "--plot", str(tmp_path / "t.png"),
                              "--format", "json"], capsys)
    assert code == 0, err
    document = json.loads(out)
    outcomes = {verdict["question"]: verdict["outcome"] for verdict in document["stopping"]["verdicts"]}
    # Agents move the wait clearly; a response target changes no wait at all: equivalent.
    assert outcomes["mtta_min at teams.agents.agents=13 − at the base"] == CLEAR
    assert outcomes["mtta_min at priorities.P3.response=20m − at the base"] == EQUIVALENT
    stopping = document["stopping"]
    assert document["replications"] == stopping["replications_used"] == stopping["looks"][-1] < 40
    assert stopping["decided"]


@pytest.mark.slow  # a whole study (5-30 s): out of the fast subset; make test runs it
def test_staff_gives_each_roster_replications_until_its_targets_are_decided(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["staff", MMC, "--set", "priorities.P3.response=30m", "--set",
                              "run.horizon=3w", "--target", "sla_response_attainment>=0.9",
                              "-r", "until-clear", "-j", "2", "--format", "json"], capsys)
    assert code == 0, err
    document = json.loads(out)
    assert document["chosen"]["roster"] == {"agents": 11}  # Erlang C: 10 attain 0.849, 11 0.945
    assert document["rule"] == "until-clear" and document["cap"] == 40
    counts = {tuple(step["roster"]): step["replications"] for step in document["search"]}
    assert set(counts) == {(10,), (11,)} and all(count in (5, 10, 20, 40) for count in counts.values())
    assert document["chosen"]["stopping"]["decided"]
    code, out, err = run_cli(["staff", MMC, "--set", "priorities.P3.response=30m", "--set",
                              "run.horizon=3w", "--target", "sla_response_attainment>=0.9",
                              "-r", "until-clear", "-j", "2"], capsys)
    assert "replications per roster (until each target was decided, at most 40" in " ".join(out.split())


def test_the_threshold_that_marks_a_difference_clear_is_the_one_the_rule_decides_with(
        capsys: pytest.CaptureFixture[str]) -> None:
    # 13 agents against 12 cut the wait by minutes: clear under the default threshold of 1 minute
    # (above), but within a threshold of 1,000 minutes, where it matters to no one — the rule
    # stops at the first look with the difference equivalent, and the table marks it not clear.
    code, out, err = run_cli(["compare", MMC, "--vary", "teams.agents.agents=13", *SHORT,
                              "-r", "until-clear", "--decide", "mtta_min", "--threshold",
                              "mtta_min=1000", "--format", "json"], capsys)
    assert code == 0, err
    document = json.loads(out)
    stopping = document["stopping"]
    assert stopping["decided"] and stopping["replications_used"] == 5
    [verdict] = stopping["verdicts"]
    assert verdict["outcome"] == EQUIVALENT and verdict["indifference"] == 1000.0
    row = next(entry for entry in document["differences"] if entry["kpi"] == "mtta_min")
    assert row["threshold"] == 1000.0 and not row["clear"] and row["mean"] < 0


def test_until_clear_is_held_to_the_work_limit_by_its_first_look_and_states_its_worst_case(
        capsys: pytest.CaptureFixture[str]) -> None:
    # The documented `staff mmc.yaml -r until-clear`: 60 rosters (--max-designs) × 5 replications
    # at the first look is within the limit; all 60 at the cap of 40 would not be, which a note
    # states. A fixed -r 40 for 60 rosters is refused as before.
    import click

    from simulator.cli.execution_options import check_workload
    from simulator.experiment.workload import WorkloadError

    scenario = load_scenario(MMC)
    with click.Context(click.Command("staff")):
        check_workload([scenario], SequentialRule(initial=5, cap=40), 60, "--max-designs")
        note = " ".join(capsys.readouterr().err.split())
        assert "note: -r until-clear runs about" in note and "× 5 replications" in note
        assert "at worst to about" in note and "× 40 replications (--max-replications)" in note
        check_workload([scenario], SequentialRule(initial=5, cap=10), 60, "--max-designs")
        assert capsys.readouterr().err == ""  # 60 × 10 is within the limit: nothing to say
        with pytest.raises(WorkloadError, match="--max-designs × -r"):
            check_workload([scenario], 40, 60, "--max-designs")
        with pytest.raises(WorkloadError, match="--max-replications, with -r until-clear"):
            check_workload([scenario], SequentialRule(initial=5, cap=100_000), 60, "--max-designs")


@pytest.mark.parametrize(("arguments", "fragments"), [
    (["run", MMC, "-r", "until-clear"],
     ["'-r' / '--replications'", "expected a whole number or 'auto' for a run of one design; found "
                                 "'until-clear'"]),
    (["sweep", MMC, "--grid", "teams.agents.agents=10,11", "-r", "until-clear"],
     ["'-r' / '--replications'", "expected a whole number for a sweep"]),
    (["staff", MMC, "--target", "mtta_min<=5", "-r", "auto"],
     ["expected a whole number or 'until-clear' for a staffing search", "found 'auto'"]),
    (["compare", MMC, MMC, "-r", "until-clear", "--threshold", "mtta_min"],
     ["'--threshold'", "expected KPI=AMOUNT with an amount of 0 or more", "found 'mtta_min'"]),
    (["compare", MMC, MMC, "-r", "until-clear", "--threshold", "mtta_min=-1"],
     ["'--threshold'", "found 'mtta_min=-1'"]),
    (["compare", MMC, MMC, "-r", "until-clear", "--threshold", "mtta_mins=1"],
     ["'--threshold'", "mtta_mins"]),
    (["compare", MMC, MMC, "-r", "until-clear", "--decide", "P9.mtta_min"],
     ["'--decide'", "P9"]),
    (["compare", MMC, MMC, "-r", "until-clear", "--min-replications", "10", "--max-replications", "8"],
     ["'--min-replications'", "expected --min-replications at most --max-replications (8); found 10"]),
    (["compare", MMC, MMC, "-r", "sometimes"],
     ["expected a whole number, 'auto' or 'until-clear'; found 'sometimes'"]),
])
def test_a_bad_rule_is_one_line_and_exit_code_2(arguments: list[str], fragments: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(arguments, capsys)
    assert code == 2 and not out
    line = " ".join(err.split())
    assert "Traceback" not in err and all(fragment in line for fragment in fragments), err
