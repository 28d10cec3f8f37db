"""The notebooks in notebooks/: each runs from top to bottom without an error and shows its plots.

Every ``notebooks/*.ipynb`` is executed with nbclient in a fresh kernel, from the notebooks
folder (as a reader opens it). They are committed without outputs, so that the repository holds
the story and the numbers always come from the code as it is.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

#: Long runs: left out of the fast subset (`make fast`), run by CI.
pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert [path.name for path in ALL if path.name.startswith("01_")] == ["01_what_if.ipynb"]


@pytest.mark.parametrize("path", ALL, ids=[path.stem for path in ALL])
def test_notebook_runs_and_shows_its_plots(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `mimsim` commands run earlier in this process set MPLBACKEND=Agg; the kernel inherits the
    # environment, and a reader's Jupyter does not have it.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    book = nbformat.read(path, as_version=4)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code), \
        f"{path.name} is committed with outputs: clear them"
    assert any(cell.cell_type == "markdown" for cell in book.cells)
    NotebookClient(book, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [output for cell in code for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert any("image/png" in output.get("data", {}) for output in outputs), f"{path.name} shows no plot"
