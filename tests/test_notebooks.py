"""The notebooks run top to bottom (small path counts) and are committed without outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
PATHS = "200"  # every cell runs; the figures are not meant to be read at this size


def test_the_four_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb",
                                          "02_hedge_ratio_benchmark.ipynb",
                                          "03_stress_scenarios.ipynb",
                                          "04_optimize_hedge.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    import nbformat

    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{path.name}: outputs not stripped (run `make strip-notebooks`)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("ALVH_PATHS", PATHS)
    monkeypatch.setenv("ALVH_RESULTS", str(tmp_path))
    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    figure_cells = [c for c in book.cells if c.cell_type == "code" and "fig" in c.source]
    assert len(figure_cells) >= 3
    for cell in figure_cells:  # each figure is shown once, inline
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, f"{path.name}: {len(images)} images from\n{cell.source}"
    assert list(tmp_path.glob("*.nc")), "the notebook writes its cubes to ALVH_RESULTS"
    assert not list(path.parent.glob("*.nc"))
