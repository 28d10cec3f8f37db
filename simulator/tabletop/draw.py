"""Tabletop layer: the random draw of an exercise's pieces (the Backdoors & Breaches idea).

An exercise may list draws (``exercise.draw``): which service fails, which cause, which
complication. Each round draws its pieces from its own seed — the same seed, the same
pieces — from a random stream of its own (``SeedSequence(seed, spawn_key=(id of
"tabletop/draw",))``), so the draw never shifts the model's random numbers. A drawn
piece may change the scenario (its ``set``, applied as ``--set`` would be), add to the
players' briefing and to the facilitator's notes, and enable the injects whose
condition names it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.model.streams import stream_id
from simulator.scenario.errors import Problem, ScenarioError
from simulator.scenario.exercise import Exercise, Piece
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario

__all__ = ["DRAW_STREAM", "DrawnPiece", "check_pieces", "draw_pieces", "drawn_scenario", "overrides"]

#: The name of the draw's random stream.
DRAW_STREAM = "tabletop/draw"


@dataclass(frozen=True)
class DrawnPiece:
    """A piece a round drew: which draw, and the piece."""

    draw: str
    piece: Piece


def draw_pieces(exercise: Exercise, seed: int) -> tuple[DrawnPiece, ...]:
    """The pieces a round with ``seed`` draws, draw by draw, in the order of each draw's pieces."""
    generator = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream_id(DRAW_STREAM),)))
    drawn: list[DrawnPiece] = []
    for draw in exercise.draw:
        weights = np.array([piece.weight for piece in draw.pieces])
        chosen = generator.choice(len(draw.pieces), size=draw.pick, replace=False,
                                  p=weights / weights.sum())
        drawn += [DrawnPiece(draw.name, draw.pieces[index]) for index in sorted(chosen)]
    return tuple(drawn)


def overrides(pieces: tuple[DrawnPiece, ...] | list[Piece]) -> list[str]:
    """The ``--set`` texts of the pieces' changes (values written as JSON, which YAML reads)."""
    chosen = [item.piece if isinstance(item, DrawnPiece) else item for item in pieces]
    return [f"{path}={json.dumps(value)}" for piece in chosen for path, value in piece.set.items()]


def drawn_scenario(path: Path, base: Scenario, seed: int) -> Scenario:
    """The scenario a round with ``seed`` plays: ``base`` (read from ``path``) with the changes
    of the pieces it draws."""
    assert base.exercise is not None
    changes = overrides(draw_pieces(base.exercise, seed))
    return load_scenario(path, changes) if changes else base


def check_pieces(path: Path, exercise: Exercise) -> None:
    """Every piece's changes apply to the scenario (:class:`ScenarioError` naming the piece)."""
    for index, draw in enumerate(exercise.draw):
        for number, piece in enumerate(draw.pieces):
            if not piece.set:
                continue
            try:
                load_scenario(path, overrides([piece]))
            except ScenarioError as error:
                first = error.problems[0]
                raise ScenarioError([Problem(
                    ("exercise", "draw", index, "pieces", number, "set"),
                    f"piece {piece.name!r}: {first.message}", str(path))]) from None
