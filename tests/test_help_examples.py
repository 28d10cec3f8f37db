"""Every example that a ``--help`` text shows works on the shipped scenarios.

Two kinds of example are collected from the commands themselves, so a new one is tested too:

* whole command lines (``mimsim run scenarios/baseline.yaml --set …`` in a command's
  examples): each is run through ``mimsim`` as a user would type it — options parsed,
  scenarios loaded with their overrides, designs built — up to the call that would start
  the simulation, which is replaced by a stop (the engine has its own tests; a sweep's
  simulations take minutes). ``validate`` examples run to the end;
* values shown in an option's help ("e.g. --set teams.service_desk.roster.late.headcount=5",
  a ``--grid`` list or range, a ``--range``, a KPI or a target): each must be accepted on at
  least one shipped scenario — validated with ``--set``, expanded and loaded as a grid,
  or checked as a KPI name.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest

from simulator.cli.main import cli, main
from simulator.cli.options import check_kpi_names
from simulator.experiment.grid import parse_grid, parse_range_pair
from simulator.experiment.sweep import plan_sweep
from simulator.scenario import ScenarioError, load_scenario, scenario_hash
from simulator.scenario.targets import parse_target_expression

ROOT = Path(__file__).parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
#: The calls that start simulations: an example stops there.
ENGINE = [("simulator.experiment.run", "run_experiment"),
          ("simulator.experiment.compare", "compare_designs"),
          ("simulator.experiment.sweep", "run_sweep"),
          ("simulator.experiment.roi", "run_roi"),
          ("simulator.experiment.sensitivity", "run_sensitivity"),
          ("simulator.experiment.staffing", "find_staffing")]


class _Reached(BaseException):
    """Raised where the simulation would start (BaseException: the CLI does not catch it)."""


def _commands() -> dict[str, click.Command]:
    context = click.Context(cli)
    found = {name: cli.get_command(context, name) for name in cli.list_commands(context)}
    return {name: command for name, command in found.items() if command is not None}


def _command_lines() -> list[str]:
    lines = []
    for command in _commands().values():
        texts = [command.help or "", command.epilog or ""]
        lines += [line.strip() for text in texts for line in text.splitlines()
                  if line.strip().startswith("mimsim ")]
    return lines


def _option_examples(kind: str) -> list[tuple[str, str]]:
    """(command, example) for every option of this kind whose help shows an example."""
    names = {"override": ("--set", "--vary"), "grid": ("--grid",), "range": ("--range",),
             "kpi": ("--kpi", "--precision-kpi"), "target": ("--target",)}[kind]
    found = []
    for command_name, command in _commands().items():
        for option in command.params:
            if not isinstance(option, click.Option) or not set(option.opts) & set(names):
                continue
            help_text = option.help or ""
            if kind in ("override", "grid", "range"):
                examples = re.findall(r"(?<![\w.])([a-z_]+(?:\.[\w]+)+=[^\s);]+)", help_text)
            elif kind == "target":
                examples = re.findall(r"'([\w.]+\s*(?:>=|<=|>|<)\s*[\d.]+)'", help_text)
            else:
                examples = re.findall(r"e\.g\. ([\w.]+)(?: or ([\w.]+))?", help_text)
                examples = [name for pair in examples for name in pair if name]
            found += [(command_name, example.rstrip(".,")) for example in examples]
    return found


def test_the_examples_are_found() -> None:
    lines = _command_lines()
    assert any(line.startswith("mimsim run ") for line in lines)
    assert any(line.startswith("mimsim sweep ") for line in lines)
    assert len(_option_examples("override")) >= 10  # --set on every command that has it
    for kind in ("grid", "range", "kpi", "target"):
        assert _option_examples(kind), kind


@pytest.mark.parametrize("line", _command_lines())
def test_each_command_line_example_runs(line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import importlib

    reached: list[str] = []

    def stop(name: str) -> Any:
        def engine(*args: object, **kwargs: object) -> None:
            reached.append(name)
            raise _Reached(name)
        return engine

    for module, name in ENGINE:
        monkeypatch.setattr(importlib.import_module(module), name, stop(name))
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)  # examples name scenarios/...; anything they write lands here
    arguments = shlex.split(line)[1:]
    try:
        main(arguments)
        code = 0
    except SystemExit as stopped:
        code = int(stopped.code or 0)
    except _Reached:
        code = 0
    err = capsys.readouterr().err
    assert code == 0, err
    assert reached or arguments[0] == "validate", f"{line} stopped before simulating: {err}"


def _accepted_somewhere(check: Any) -> list[str]:
    """The shipped scenarios on which ``check(path)`` raises nothing."""
    accepted = []
    for path in SHIPPED:
        try:
            check(path)
        except (ScenarioError, ValueError, click.ClickException):
            continue
        accepted.append(path.name)
    return accepted


@pytest.mark.parametrize(("command", "example"), _option_examples("override"))
def test_each_override_example_works(command: str, example: str) -> None:
    def check(path: Path) -> None:  # accepted, and it changes something
        if scenario_hash(load_scenario(path, [example])) == scenario_hash(load_scenario(path)):
            raise ValueError("no change")
    assert _accepted_somewhere(check), (command, example)


@pytest.mark.parametrize(("command", "example"), _option_examples("grid"))
def test_each_grid_example_works(command: str, example: str) -> None:
    assert _accepted_somewhere(lambda path: plan_sweep(path, [parse_grid(example)])), example


@pytest.mark.parametrize(("command", "example"), _option_examples("range"))
def test_each_range_example_works(command: str, example: str) -> None:
    assignments = parse_range_pair(example).assignments()
    assert _accepted_somewhere(lambda path: load_scenario(path, assignments)), example


@pytest.mark.parametrize(("command", "example"), _option_examples("kpi"))
def test_each_kpi_example_is_a_kpi(command: str, example: str) -> None:
    assert _accepted_somewhere(lambda path: check_kpi_names([example], load_scenario(path), "--kpi")), \
        example


@pytest.mark.parametrize(("command", "example"), _option_examples("target"))
def test_each_target_example_is_a_target(command: str, example: str) -> None:
    def check(path: Path) -> None:
        scenario = load_scenario(path)
        parse_target_expression(example, tuple(scenario.priorities), tuple(scenario.teams),
                                tuple(scenario.services))
    assert _accepted_somewhere(check), example


def test_the_cli_reference_lists_every_command() -> None:
    # The commands are imported lazily; sphinx-click (the docs' CLI reference) must still see them.
    from sphinx_click.ext import _filter_commands

    context = click.Context(cli)
    listed = [command.name for command in _filter_commands(context)]
    assert listed == cli.list_commands(context)
    assert {"run", "compare", "sweep", "validate", "calibrate"} <= set(listed)


def test_the_command_list_is_the_one_click_makes_from_the_commands() -> None:
    """`mimsim --help` lists the commands from a table, without importing them; the list must be
    the one click writes from the commands themselves (a changed short help changes the table)."""
    from simulator.cli import main as main_module

    context = click.Context(cli, info_name="mimsim")
    ours, clicks = context.make_formatter(), context.make_formatter()
    cli.format_commands(context, ours)
    click.Group.format_commands(cli, context, clicks)  # click's own: every command imported
    assert ours.getvalue() == clicks.getvalue()
    assert set(main_module._SHORT_HELP) == set(main_module._COMMANDS)


def test_help_imports_no_command_module() -> None:
    """`mimsim --help` starts without the commands' modules, pandas or SciPy."""
    import subprocess
    import sys

    probe = ("import sys\nfrom simulator.cli.main import main\ntry:\n    main(['--help'])\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(name for name in sys.modules if name in ('pandas', 'scipy', 'networkx') "
             "or name.startswith('simulator.cli.') and name.rsplit('.', 1)[1] in "
             "('compare', 'roi', 'sweep', 'staff', 'sensitivity', 'report', 'tabletop', 'render')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_sensitivity_study_starts_without_scipy_stats() -> None:
    """`mimsim sensitivity` (and an ROI single answer) price replications but draw no input sets:
    scipy.stats, about half a second of start-up before the workers begin, is not imported."""
    import subprocess
    import sys

    probe = ("import sys\nimport simulator.cli.main, simulator.cli.sensitivity\n"
             "import simulator.experiment.sensitivity, simulator.experiment.roi\n"
             "print('scipy.stats' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False"
