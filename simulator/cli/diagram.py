"""CLI layer: ``mimsim diagram`` — the process flow of a scenario, as a PNG or SVG file."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.cli.options import SET_HELP, stderr
from simulator.scenario.loader import load_scenario

__all__ = ["diagram"]

_SUFFIXES = (".png", ".svg")


@click.command(short_help="Draw a scenario's process flow (PNG or SVG).")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The file to write, .png or .svg (default: diagram-<scenario>.png).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
def diagram(scenario: Path, out: Path | None, overrides: tuple[str, ...]) -> None:
    """Draw SCENARIO's process: steps, teams and their staffing, routing probabilities on the
    edges, and the major-incident, change and problem paths when the scenario has them."""
    target = out or Path(f"diagram-{scenario.stem}.png")
    if target.suffix.lower() not in _SUFFIXES:
        raise click.BadParameter(f"expected a file name ending in .png or .svg; found {target.name!r}",
                                 param_hint="'--out'")
    # The scenario first: a file that cannot be read is refused before the engine is imported.
    loaded = load_scenario(scenario, overrides)
    from simulator.reporting.diagram import write_diagram

    stderr().print(f"wrote {write_diagram(loaded, target)}", markup=False)
