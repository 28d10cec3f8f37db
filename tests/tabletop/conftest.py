"""Fixtures of the tabletop tests: an exercise on a fresh database, and its web app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from simulator.tabletop.app import Exercise, create_app

EXERCISES = Path(__file__).parents[2] / "scenarios" / "exercises"
CLOUDFLARE = EXERCISES / "cloudflare-2019-waf.yaml"


@pytest.fixture
def exercise(tmp_path: Path) -> Exercise:
    return Exercise(CLOUDFLARE, tmp_path / "exercise.db")


@pytest.fixture
def client(exercise: Exercise) -> Iterator[TestClient]:
    with TestClient(create_app(exercise, tick_s=None)) as client:
        yield client


@pytest.fixture
def facilitator(exercise: Exercise) -> dict[str, str]:
    return {"X-Facilitator-Token": exercise.token}
