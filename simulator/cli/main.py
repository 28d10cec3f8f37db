"""CLI layer: the ``mimsim`` command.

Commands: ``run`` (replications, summary table or JSON, run directory),
``validate`` (check a scenario) and ``schema`` (the scenario JSON Schema, for
editors). Every problem with a scenario is one line on stderr — file, line,
key path, what was expected, what was found — and exit code 2, never a
traceback. Progress goes to stderr, so ``--format json`` leaves stdout to the
JSON alone.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from simulator.cli.options import SET_HELP, stderr
from simulator.cli.run import count
from simulator.experiment.refusal import RefusedError
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario
from simulator.scenario.units import format_duration

__all__ = ["cli", "main"]

_EXIT_BAD_INPUT = 2
_EXIT_INTERRUPTED = 130
_EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports it
#: `mimsim` with no command shows the help (click 8.2 and later raise this for it).
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _stderr() -> Console:
    return stderr()


#: The commands defined in other modules, imported only when one is used: `mimsim validate` and
#: a refused input then start in a fraction of the time and memory that pandas and SciPy take.
_COMMANDS = {"run": "run", "compare": "compare", "warmup": "warmup", "sweep": "sweep",
             "staff": "staff", "roi": "roi", "sensitivity": "sensitivity", "report": "report",
             "diagram": "diagram", "calibrate": "calibrate",
             "validate-against": "validate_against", "tabletop": "tabletop"}


class _LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name: those of :data:`_COMMANDS` are imported when first looked up,
    the others (``validate``, ``schema``) are registered here as usual. Anything that reads a
    group's ``commands`` (click itself, sphinx-click for the CLI reference) sees them all."""

    def __init__(self) -> None:
        self._registered: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name in _COMMANDS:
            command: click.Command = getattr(
                importlib.import_module(f"simulator.cli.{_COMMANDS[name]}"), _COMMANDS[name])
            return command
        return self._registered[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._registered[name] = command

    def __delitem__(self, name: str) -> None:
        del self._registered[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*self._registered, *_COMMANDS}))

    def __len__(self) -> int:
        return len({*self._registered, *_COMMANDS})


#: The one-line help of the commands of :data:`_COMMANDS`, for ``mimsim --help``, which then lists
#: them without importing them (about a second of pandas and SciPy). Each is the command's own
#: ``short_help``, word for word: a test compares the list with the one click makes from them.
_SHORT_HELP = {
    "run": "Run replications; report KPIs with confidence intervals.",
    "compare": "Compare designs with common random numbers (paired differences).",
    "warmup": "Suggest a warm-up length (MSER-5 on the backlog) and plot it.",
    "sweep": "Run a factorial design over scenario keys into a resumable store.",
    "staff": "Find the cheapest roster that meets the targets (formulas, then simulation).",
    "roi": "Return on an improvement: ROI, net benefit and payback, with uncertainty.",
    "sensitivity": "One-at-a-time sensitivity of a KPI or the ROI; a tornado chart.",
    "report": "Write the HTML report of a run or comparison directory, or a sweep store.",
    "diagram": "Draw a scenario's process flow (PNG or SVG).",
    "calibrate": "Learn a scenario from a real incident log.",
    "validate-against": "Compare a scenario's simulation with a real log.",
    "tabletop": "Run a tabletop exercise: a facilitator console and players' views.",
}


class _Commands(click.Group):
    """A command group that imports each command's module when the command is asked for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands in the group's help, as click writes it, but with the lazy
        commands' one-line help from :data:`_SHORT_HELP`."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in _SHORT_HELP:
                rows.append((name, _SHORT_HELP[name]))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mimsim", prog_name="mimsim")
def cli() -> None:
    """mimsim: simulate how an IT organisation handles incidents.

    A scenario file (YAML) describes demand, teams and shifts, SLA targets and
    the incident flow; mimsim runs it many times and reports KPIs with 95 %
    confidence intervals.
    """


@cli.command(short_help="Check a scenario file; exit code 2 if it has problems.", epilog="""\b
Example (a test runs it on the shipped scenarios):
  mimsim validate scenarios/with-mim.yaml --set run.measure=26w""")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
def validate(scenario: Path, overrides: tuple[str, ...]) -> None:
    """Check a scenario file and report every problem (exit code 2 if any)."""
    loaded = load_scenario(scenario, overrides)
    exercise = _checked_exercise(scenario, loaded)
    run_length = loaded.run
    click.echo(f"{scenario}: valid — {count(len(loaded.teams), 'team')}, "
               f"{count(len(loaded.arrivals), 'arrival stream')}, horizon "
               f"{format_duration(run_length.horizon)} (warm-up {format_duration(run_length.warmup)}, "
               f"then {format_duration(run_length.measured)} measured){exercise}")


def _checked_exercise(path: Path, loaded: Scenario) -> str:
    """A scenario with an ``exercise`` section gets the checks ``mimsim tabletop`` makes when it
    starts (services, teams and activities named, every piece of the draw applies); what the
    exercise holds, for the validate line."""
    if loaded.exercise is None:
        return ""
    from simulator.tabletop.checks import check_exercise
    from simulator.tabletop.draw import check_pieces

    exercise = check_exercise(loaded, str(path))
    check_pieces(path, exercise)
    branching = sum(inject.when is not None for inject in exercise.injects)
    return (f"; a tabletop exercise: {count(len(exercise.roles), 'role')}, "
            f"{count(len(exercise.injects), 'inject')} ({branching} branching), "
            f"{count(len(exercise.objectives), 'objective')}, "
            f"{count(len(exercise.draw), 'draw')}")


@cli.command(short_help="Print the JSON Schema of scenario files.")
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor autocompletion)."""
    full = Scenario.model_json_schema(by_alias=True)
    definitions = full.pop("$defs", {})
    # A file that extends another holds only changes: any section, any part of one (the
    # merged whole is checked by `mimsim validate`); any other file is a whole scenario.
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "mimsim scenario",
        "description": full.get("description", ""),
        "type": "object",
        "if": {"required": ["extends"]},
        "then": {"propertyNames": {"enum": sorted(full["properties"])}},
        "else": full,
        "$defs": definitions,
    }
    click.echo(json.dumps(document, indent=2))


def _report_problems(error: ScenarioError) -> None:
    console = _stderr()
    for problem in error.problems:
        console.print(str(problem), markup=False, soft_wrap=True)


def _interrupted(argv: list[str]) -> str:
    """What an interruption kept: only a command given an output directory keeps anything."""
    if any(arg in ("-o", "--out") or arg.startswith(("--out=", "-o")) for arg in argv):
        return "interrupted: finished replications are kept in the output directory"
    return ("interrupted: nothing was written (with --out DIR, run and compare keep every finished "
            "replication)")


class _Terminated(KeyboardInterrupt):
    """SIGTERM (``kill PID``), handled as Ctrl-C is: stop the workers, keep what finished."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``mimsim`` console script."""
    # The commands only write figures to files: matplotlib's file backend, unless the user chose
    # another. (The reporting layer leaves the backend alone, so notebooks keep their inline plots.)
    os.environ.setdefault("MPLBACKEND", "Agg")
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if on_main_thread else None
    try:
        return _run(argv)
    except SystemExit as leaving:
        if argv is None and leaving.code in (_EXIT_INTERRUPTED, _EXIT_TERMINATED):
            # Everything is written and closed; skip the interpreter's teardown of pandas,
            # SciPy and friends, which takes seconds on a busy machine: Ctrl-C ends the command
            # within a second. (Only as the `mimsim` command: a caller in Python gets SystemExit.)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(leaving.code))
        raise
    finally:
        if on_main_thread:  # called from Python (tests, notebooks): leave SIGTERM as it was
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _run(argv: list[str] | None) -> Any:
    try:
        return cli.main(args=argv, prog_name="mimsim", standalone_mode=False)
    except ScenarioError as error:
        _report_problems(error)
        sys.exit(_EXIT_BAD_INPUT)
    except RefusedError as error:  # an output path, a Dask address, a size: refused before any work
        _stderr().print(str(error), markup=False, soft_wrap=True)
        sys.exit(_EXIT_BAD_INPUT)
    except (click.exceptions.Abort, KeyboardInterrupt) as stopped:
        _stderr().print(_interrupted(sys.argv[1:] if argv is None else argv), markup=False)
        terminated = isinstance(stopped, _Terminated) or isinstance(stopped.__cause__, _Terminated)
        sys.exit(_EXIT_TERMINATED if terminated else _EXIT_INTERRUPTED)  # click wraps it in Abort
    except click.UsageError as error:  # one line, not click's usage block
        if isinstance(error, _NO_ARGS_IS_HELP):  # `mimsim` alone: the help
            error.show()
            sys.exit(error.exit_code)
        command = error.ctx.command_path if error.ctx is not None else "mimsim"
        _stderr().print(f"{command}: {error.format_message()} (see {command} --help)",
                        markup=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as error:
        sys.exit(error.exit_code)
    except Exception as error:
        if os.environ.get("MIMSIM_DEBUG"):
            traceback.print_exc()
        _stderr().print(f"mimsim: internal error: {type(error).__name__}: {error} "
                        f"(set MIMSIM_DEBUG=1 to see the traceback)", markup=False)
        sys.exit(1)
