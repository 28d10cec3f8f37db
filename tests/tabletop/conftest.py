"""Fixtures of the tabletop tests: an exercise on a fresh database, its web app, and variants."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from simulator.tabletop.app import Exercise, create_app

EXERCISES = Path(__file__).parents[2] / "scenarios" / "exercises"
CLOUDFLARE = EXERCISES / "cloudflare-2019-waf.yaml"
#: The address the test apps are bound to (the Host header must name it).
BASE_URL = "http://127.0.0.1:8765"
#: Policy answers that restore the Cloudflare outage as Cloudflare did (the kill switch).
ANSWERS = {"declare": "declare", "page": "sre", "restore": "workaround", "approvers": "1,2"}


def exercise_variant(folder: Path, changes: str, base: Path = CLOUDFLARE) -> Path:
    """An exercise file that extends ``base`` with ``changes`` (YAML under ``exercise:``)."""
    path = folder / "variant.yaml"
    indented = "\n".join("  " + line for line in changes.strip().splitlines())
    path.write_text(f"extends: {base}\nexercise:\n{indented}\n")
    return path


@pytest.fixture
def exercise(tmp_path: Path) -> Exercise:
    return Exercise(CLOUDFLARE, tmp_path / "exercise.db")


@pytest.fixture
def client(exercise: Exercise) -> Iterator[TestClient]:
    with TestClient(create_app(exercise, tick_s=None), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def facilitator(exercise: Exercise) -> dict[str, str]:
    return {"X-Facilitator-Token": exercise.token}


def join(client: TestClient, facilitator: dict[str, str], round_id: int, role: str,
         name: str) -> dict[str, str]:
    """``name`` joins round ``round_id`` as ``role`` through the role's link: their headers."""
    link = client.get(f"/api/rounds/{round_id}/links", headers=facilitator).json()[role]["link"]
    key = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["key"][0]
    joined = client.post(f"/api/rounds/{round_id}/join", json={"role": role, "key": key, "name": name})
    assert joined.status_code == 200, joined.text
    return {"X-Player-Token": joined.json()["token"]}
