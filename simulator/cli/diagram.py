"""CLI layer: ``mimsim diagram`` — the process flow of a scenario, as a PNG or SVG file."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.cli.options import SET_HELP, stderr
from simulator.cli.outputs import checked_default, output_file
from simulator.experiment.outputs import DIAGRAMS
from simulator.scenario.loader import load_scenario

__all__ = ["diagram"]


@click.command(short_help="Draw a scenario's process flow (PNG or SVG).")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=output_file(DIAGRAMS), default=None,
              help="The file to write, .png or .svg (default: diagram-<scenario>.png).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
def diagram(scenario: Path, out: Path | None, overrides: tuple[str, ...]) -> None:
    """Draw SCENARIO's process: steps, teams and their staffing, routing probabilities on the
    edges, and the major-incident, change and problem paths when the scenario has them."""
    target = out or checked_default(output_file(DIAGRAMS), Path(f"diagram-{scenario.stem}.png"),
                                    "--out")
    # The scenario first: a file that cannot be read is refused before the engine is imported.
    loaded = load_scenario(scenario, overrides)
    from simulator.reporting.diagram import write_diagram

    stderr().print(f"wrote {write_diagram(loaded, target)}", markup=False)
