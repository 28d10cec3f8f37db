"""Bad input: one line per problem naming file, line, key path, expected and found; exit 2; no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import TINY, merge, run_cli

L2_FLOW = {"teams": {"L2": {"agents": 2}},
           "flow": {"desk": {"first_contact_resolution": 0.5, "escalation": {"L2": 1.0}},
                    "groups": {"L2": {"handling": "1h"}}}}

SERVICE = {"calendars": {"business": {"hours": {"Mon-Fri": "08:00-17:00"}}},
           "services": {"portal": {"users": 100, "owner": "desk", "detection_delay": "5m",
                                   "restoration": {"diagnosis": "10m", "fix": "10m"}}}}

PROBLEMS = {"calendars": {"business": {"hours": {"Mon-Fri": "08:00-17:00"}}},
            "arrivals": {"repeats": {"volume": "5/day"}},
            "changes": {"normal": {"cab": "business", "window": "24x7"}},
            "problems": {"team": "desk", "families": {"repeats": {
                "stream": "repeats", "root_cause_analysis": "1d", "fix_share": 0.8}}}}

# (name, scenario changes or raw YAML text, fragments that must all appear in the message)
CASES = [
    ("yaml syntax", "run:\n  horizon: 1w\n  warmup: [0m\n", [":4: expected valid YAML", "syntax error"]),
    ("unknown key", {"run": {"horizn": "2w"}},
     ["run.horizn", "unknown key 'horizn'", "did you mean 'horizon'?"]),
    ("unknown nested key", {"flow": {"desk": {"handlnig": "5m"}}},
     ["flow.desk.handlnig", "did you mean 'handling'?"]),
    ("missing unit", {"flow": {"desk": {"handling": {"dist": "exponential", "mean": 30}}}},
     ["flow.desk.handling.mean", "expected a duration with a unit", "found 30"]),
    ("text that looks like an emoji code is printed as it is", {"run": {"horizon": "1:x:"}},
     ["run.horizon", "found '1:x:'"]),
    ("wrong unit", {"run": {"horizon": "2 fortnights"}},
     ["run.horizon", "expected a duration unit", "'fortnights'"]),
    ("rate without unit", {"arrivals": {"calls": {"at": None, "volume": 120}}},
     ["arrivals.calls.volume", "expected a rate with a unit", "found 120"]),
    ("zero rate", {"arrivals": {"calls": {"at": None, "volume": "0/h"}}},
     ["arrivals.calls.volume", "greater than zero", "'0/h'"]),
    ("negative duration", {"flow": {"desk": {"handling": {"dist": "exponential", "mean": "-5m"}}}},
     ["flow.desk.handling.mean", "zero or more", "'-5m'"]),
    ("zero duration", {"run": {"horizon": "0h"}}, ["run.horizon", "greater than zero"]),
    ("shares not summing to 1", {"arrivals": {"calls": {"impact": {1: 0.5, 2: 0.3}}}},
     ["arrivals.calls.impact", "sum to 1", "0.8"]),
    ("escalation not summing to 1",
     merge(L2_FLOW, {"flow": {"desk": {"escalation": {"L2": 0.7}}}}),
     ["flow.desk.escalation", "sum to 1", "0.7"]),
    ("routing target not a team", merge(L2_FLOW, {"flow": {"desk": {"escalation": {"L2": None, "L3": 1.0}}}}),
     ["flow.desk.escalation.L3", "resolver group", "found 'L3'"]),
    ("group that is not a team", merge(L2_FLOW, {"flow": {"groups": {"L22": {"handling": "1h"}}}}),
     ["flow.groups.L22", "expected the name of a team", "did you mean 'L2'?"]),
    ("zero-length shift", {"teams": {"desk": {"agents": None, "roster": [
        {"days": "Mon-Fri", "start": "08:00", "end": "08:00", "headcount": 2}]}}},
     ["teams.desk.roster[0]", "zero-length shift"]),
    ("never resolvable", merge(L2_FLOW, {
        "teams": {"L3": {"agents": 1}},
        "flow": {"groups": {"L2": {"transfer": {"L3": 1.0}},
                            "L3": {"handling": "1h", "transfer": {"L2": 1.0}}}}}),
     ["flow.groups.L2.transfer", "'L2' and 'L3' can never be resolved"]),
    ("transferred handling without unit", merge(L2_FLOW, {"flow": {"groups": {"L2": {
        "handling_when_transferred": {"dist": "exponential", "mean": 30}}}}}),
     ["flow.groups.L2.handling_when_transferred.mean", "expected a duration with a unit", "found 30"]),
    ("transferred handling for an unknown priority", merge(L2_FLOW, {"flow": {"groups": {"L2": {
        "handling_when_transferred_by_priority": {"P5": "1h"}}}}}),
     ["flow.groups.L2.handling_when_transferred_by_priority.P5", "expected the name of a priority",
      "found 'P5'"]),
    ("probability above 1", {"flow": {"desk": {"first_contact_resolution": 1.5}}},
     ["flow.desk.first_contact_resolution", "between 0 and 1", "1.5"]),
    ("unknown calendar", {"priorities": {"P1": {"calendar": "bussiness"}},
                          "calendars": {"business": {"hours": {"Mon-Fri": "08:00-17:00"}}}},
     ["priorities.P1.calendar", "did you mean 'business'?"]),
    ("unknown distribution", {"flow": {"desk": {"handling": {"dist": "normal", "mean": "1h"}}}},
     ["flow.desk.handling", "'dist' to be one of", "found 'normal'"]),
    ("bad target", {"targets": {"mtta_mins": "<= 30"}}, ["targets.mtta_mins", "did you mean 'mtta_min'?"]),
    ("empty file", "", ["expected a mapping of sections", "found null"]),
    ("a list, not a mapping", "- run\n- teams\n", ["expected a mapping of sections"]),
    ("no arrival stream", {"arrivals": {"calls": None}}, ["arrivals", "at least one arrival stream"]),
    ("hours not text", {"calendars": {"office": {"hours": {"Mon-Fri": 8}}}},
     ["calendars.office.hours", "working hours such as '08:00-18:00'", "found 8"]),
    ("empty priority matrix", {"priority_matrix": []}, ["priority_matrix", "found an empty one"]),
    ("a start with a time zone", {"run": {"start": "2026-01-05T00:00:00+01:00"}},
     ["run.start", "without a time zone", "+01:00"]),
    ("an overflowing rate", {"arrivals": {"calls": {"at": None, "volume": "1e308/s"}}},
     ["arrivals.calls.volume", "finite rate"]),
    ("far too many incidents", {"arrivals": {"calls": {"at": None, "volume": "1e9/day"}}},
     ["arrivals.calls.volume", "at most 20,000,000 incidents"]),
    ("a shift name used twice", {"teams": {"desk": {"agents": None, "roster": [
        {"name": "day", "days": "Mon", "start": "08:00", "end": "09:00", "headcount": 1},
        {"name": "day", "days": "Tue", "start": "08:00", "end": "09:00", "headcount": 1}]}}},
     ["teams.desk", "'day' more than once"]),
    ("not a weekday", {"teams": {"desk": {"agents": None, "roster": [
        {"days": "Monkey", "start": "08:00", "end": "09:00", "headcount": 1}]}}},
     ["teams.desk.roster[0].days", "found 'Monkey'"]),
    ("infinite durations", {"flow": {"desk": {"handling": {"dist": "weibull", "shape": 1e-300,
                                                           "scale": "1h"}}}},
     ["flow.desk.handling", "finite durations"]),
    ("no dist key", {"flow": {"desk": {"handling": {"mean": "1h"}}}},
     ["flow.desk.handling", "'dist' key", "'lognormal'"]),
    ("a seed that is not a number", {"run": {"seed": True}}, ["run.seed", "found True"]),
    ("warm-up past the end", {"run": {"warmup": "2w"}},
     ["run: expected 'warmup' shorter than 'horizon', which is the whole run, warm-up included "
      "(give 'measure' for the time measured after the warm-up); found warmup 2w, horizon 1w"]),
    # Services, outages and the major-incident process
    ("a role from a team that does not exist", merge(SERVICE, {"major_incident": {
        "enabled": True, "manager": {"team": "incident_mgrs"}}}),
     ["major_incident.manager.team", "expected the name of a team (or 'owner'", "found 'incident_mgrs'"]),
    ("an outage on a service not in the catalogue",
     merge(SERVICE, {"outages": [{"service": "portl", "at": "1h"}]}),
     ["outages[0].service", "a service in the catalogue", "did you mean 'portal'?"]),
    ("an on-call rule outside any calendar", merge(SERVICE, {"major_incident": {
        "enabled": True, "resolvers": [{"team": "owner", "on_call": {"calendar": "bussiness"}}]}}),
     ["major_incident.resolvers[0].on_call.calendar", "the name of a calendar", "did you mean 'business'?"]),
    ("a service owned by no team", merge(SERVICE, {"services": {"portal": {"owner": "dsk"}}}),
     ["services.portal.owner", "did you mean 'desk'?"]),
    ("an outage after the end", merge(SERVICE, {"outages": [{"service": "portal", "at": "2w"}]}),
     ["outages[0].at", "within the horizon (1w)", "found 2w"]),
    # Changes and problems
    ("a quorum larger than the ECAB", {"changes": {"emergency": {"ecab": {"members": 3, "quorum": 4}}}},
     ["changes.emergency.ecab", "a quorum of at most the 3 members", "found quorum 4"]),
    ("a fix share outside [0, 1]", merge(PROBLEMS, {"problems": {"families": {"repeats": {
        "fix_share": 1.5}}}}),
     ["problems.families.repeats.fix_share", "between 0 and 1", "1.5"]),
    ("a CAB schedule outside any calendar", merge(PROBLEMS, {"changes": {"normal": {"cab": "tuesdays"}}}),
     ["changes.normal.cab", "expected the name of a calendar", "found 'tuesdays'"]),
    ("a problem team that does not exist", merge(PROBLEMS, {"problems": {"team": "analysts"}}),
     ["problems.team", "expected the name of a team", "found 'analysts'"]),
    ("an emergency change without its section",
     merge(SERVICE, {"major_incident": {"enabled": True, "restoration": "emergency_change"}}),
     ["major_incident.restoration", "expected a 'changes.emergency' section"]),
    ("an outage nobody would notice", merge(SERVICE, {"services": {"portal": {"detection_delay": None}}}),
     ["services.portal", "nobody would ever notice an outage"]),
    # The process graph: steps that can never be reached, paths that never end in resolution
    ("a group nothing sends tickets to", merge(L2_FLOW, {
        "teams": {"L3": {"agents": 1}}, "flow": {"groups": {"L3": {"handling": "1h"}}}}),
     ["flow.groups.L3: expected a resolver group that tickets can reach", "nothing sends tickets to 'L3'"]),
    ("a group whose only escalation share is zero", merge(L2_FLOW, {
        "teams": {"L3": {"agents": 1}},
        "flow": {"desk": {"escalation": {"L3": 0.0}}, "groups": {"L3": {"handling": "1h"}}}}),
     ["flow.groups.L3", "nothing sends tickets to 'L3'"]),
    ("a transfer into a loop that never resolves", merge(L2_FLOW, {
        "teams": {"L3": {"agents": 1}, "L4": {"agents": 1}},
        "flow": {"groups": {"L2": {"transfer": {"L3": 0.5}},
                            "L3": {"handling": "1h", "transfer": {"L4": 1.0}},
                            "L4": {"handling": "1h", "transfer": {"L3": 1.0}}}}}),
     ["flow.groups.L3.transfer", "tickets that reach 'L3' and 'L4' can never be resolved"]),
]


def write(tmp_path: Path, case: object) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(case if isinstance(case, str) else yaml.safe_dump(merge(TINY, case)))
    return path


@pytest.mark.parametrize(("name", "case", "fragments"), CASES, ids=[case[0] for case in CASES])
def test_each_bad_input_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         name: str, case: object, fragments: list[str]) -> None:
    path = write(tmp_path, case)
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{path}:")
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def test_the_line_number_points_at_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = yaml.safe_dump(merge(TINY, {"run": {"horizn": "2w"}}), sort_keys=False)
    path = write(tmp_path, text)
    line = 1 + text.splitlines().index("  horizn: 2w")
    _, _, err = run_cli(["validate", str(path)], capsys)
    assert err.startswith(f"{path}:{line}: run.horizn:")


def test_several_problems_are_reported_together(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"run": {"horizn": "2w", "seed": -1}, "teams": {"desk": {"agents": 0}}})
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 3


def test_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["run", str(tmp_path / "nowhere.yaml")], capsys)
    assert code == 2
    assert err.strip() == f"{tmp_path / 'nowhere.yaml'}: expected a scenario file; found no file at this path"


def test_a_bad_override_names_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {})
    code, _, err = run_cli(["run", str(path), "--set", "teams.desk.agents=-3"], capsys)
    assert code == 2
    assert err.strip() == ("--set teams.desk.agents=-3: teams.desk.agents: expected a whole number "
                           "greater than zero; found -3")
    code, _, err = run_cli(["validate", str(path), "--set", "flow.desk.handlng=5m"], capsys)
    assert code == 2 and "did you mean 'handling'?" in err
    code, _, err = run_cli(["validate", str(path), "--set", "teams.desk.roster.0.headcount=2"], capsys)
    assert code == 2 and "expected an existing list to take item 0 of; found no 'roster'" in err
    code, out, _ = run_cli(["validate", str(path), "--set", "targets.P3.mtta_min=<= 30"], capsys)
    assert code == 0 and "valid" in out  # target names contain dots


@pytest.mark.parametrize("command", [[str(Path(sys.executable).parent / "mimsim")],
                                     [sys.executable, "-m", "simulator"]], ids=["mimsim", "python -m"])
@pytest.mark.slow
def test_the_installed_command_prints_no_traceback(tmp_path: Path, command: list[str]) -> None:
    path = write(tmp_path, {"run": {"horizon": 30}})
    done = subprocess.run([*command, "run", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("run.horizon: expected a duration with a unit such as "
                                        "'90s', '15m', '4h', '3d', '2w' or '1h30m'; found 30 "
                                        "(a bare number, no unit)")
