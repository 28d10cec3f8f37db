"""The code stays lint-clean, type-clean, and layered: imports only point up the pipeline."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "simulator"
# Each layer may import only from the layers listed before it.
LAYERS = ["scenario", "eventlog", "model", "metrics", "experiment", "reporting", "tabletop", "cli"]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("layer", LAYERS)
def test_layers_import_only_from_the_layers_before_them(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    for path in (PACKAGE / layer).glob("*.py"):
        for module in _imports(path):
            if module.startswith("simulator."):
                assert module.split(".")[1] in allowed, f"{path.name} imports {module}"


def test_only_the_model_uses_simpy_and_only_reporting_uses_matplotlib() -> None:
    for path in PACKAGE.rglob("*.py"):
        modules = {name.split(".")[0] for name in _imports(path)}
        if "simpy" in modules:
            assert path.parent.name == "model", path
        if "matplotlib" in modules:
            assert path.parent.name == "reporting", path


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is part of the test extra"
    return found


def test_ruff_is_clean() -> None:
    done = subprocess.run([_tool("ruff"), "check", "simulator", "tests", "benchmarks", "scripts"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean() -> None:
    done = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
