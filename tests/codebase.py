"""The package's shape, read from its source: which module imports which, and how long functions are.

Used by the code-quality tests (layers, circles) and by the test run's closing summary, which
lists the functions over :data:`LONG_FUNCTION_LINES` lines so that the list stays visible.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "simulator"
#: Each layer may import only from itself and the layers listed before it (docs/architecture.md).
LAYERS = ("scenario", "eventlog", "model", "metrics", "experiment", "calibration", "reporting",
          "tabletop", "cli")
#: A function longer than this is listed at the end of every test run (not a failure).
LONG_FUNCTION_LINES = 60


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """``simulator/scenario/schema.py`` → ``simulator.scenario.schema`` (a package: its folder)."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str], package_dir: Path = PACKAGE) -> set[str]:
    """The package's modules that a file imports: at module level, inside functions, or for the
    type checker only (a circle the type checker needs is still a circle in the design).

    ``from simulator.x import y`` counts as importing ``simulator.x.y`` where that is a module,
    else ``simulator.x``; relative imports are resolved against the file's package.
    """
    nodes = ast.walk(ast.parse(path.read_text()))
    here = module_name(path, package_dir).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in found if name in known}


def import_graph(package: Path = PACKAGE) -> nx.DiGraph:
    """Modules as nodes, an edge from each module to every module of the package it imports."""
    paths = {module_name(path, package): path for path in sorted(package.rglob("*.py"))}
    graph = nx.DiGraph()
    graph.add_nodes_from(paths)
    for name, path in paths.items():
        graph.add_edges_from((name, target) for target in imported_modules(path, set(paths), package)
                             if target != name)
    return graph


def circles(graph: nx.DiGraph) -> list[frozenset[str]]:
    """Groups of modules that import each other, directly or round a longer loop.

    A package's ``__init__`` importing its own modules is how a package shows its API, not a
    circle; a module importing its own package's ``__init__`` closes one.
    """
    return sorted((frozenset(group) for group in nx.strongly_connected_components(graph)
                   if len(group) > 1), key=sorted)


def layer_of(module: str) -> str | None:
    """The layer a module belongs to (``simulator.model.flow`` → ``model``), if any."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def upward_imports(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """Imports from a layer into a later one (``model`` importing ``experiment``)."""
    return sorted((source, target) for source, target in graph.edges
                  if (low := layer_of(source)) and (high := layer_of(target))
                  and LAYERS.index(high) > LAYERS.index(low))


def long_functions(package: Path = PACKAGE, limit: int = LONG_FUNCTION_LINES
                   ) -> list[tuple[int, str, str]]:
    """Functions longer than ``limit`` lines (``def`` to last line): (lines, file, name), longest first."""
    found: list[tuple[int, str, str]] = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit:
                    found.append((lines, path.relative_to(package.parent).as_posix(), node.name))
    return sorted(found, key=lambda item: (-item[0], item[1], item[2]))
