"""Every scenario shipped in scenarios/ validates and runs briefly."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli.main import main
from simulator.experiment import run_replication
from simulator.scenario import load_scenario

ROOT = Path(__file__).parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("**/*.yaml"))


def test_there_are_scenarios() -> None:
    assert {path.name for path in SCENARIOS} >= {"baseline.yaml", "mmc.yaml"}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.name)
def test_validates_with_exit_code_zero(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(path)]) is None
    assert "valid" in capsys.readouterr().out


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.name)
@pytest.mark.slow
def test_runs_briefly(path: Path) -> None:
    scenario = load_scenario(path, ["run.horizon=2w", "run.warmup=2d"])
    result = run_replication(scenario, replication=0, seed=1)
    kpis = result.kpis.set_index(["scope", "key", "kpi"])["value"]
    assert kpis[("overall", "", "arrived")] > 100
    # (the CrowdStrike surge leaves most of its tickets open after two weeks)
    assert kpis[("overall", "", "resolved")] > 0.3 * kpis[("overall", "", "arrived")]


def test_the_json_schema_accepts_every_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import jsonschema
    import yaml

    main(["schema"])
    schema = json.loads(capsys.readouterr().out)
    validator = jsonschema.Draft202012Validator(schema)
    for path in SCENARIOS:
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        assert [error.message for error in validator.iter_errors(data)] == [], path.name
    # and it rejects what the loader rejects, e.g. an unknown key, or a missing section
    # (which a file that extends another may leave out)
    assert not validator.is_valid({**data, "runn": {}})
    baseline = yaml.safe_load((ROOT / "scenarios" / "baseline.yaml").read_text())
    partial = {key: value for key, value in baseline.items() if key != "run"}
    assert not validator.is_valid(json.loads(json.dumps(partial, default=str)))
    assert validator.is_valid(json.loads(json.dumps({**partial, "extends": "baseline.yaml"}, default=str)))
