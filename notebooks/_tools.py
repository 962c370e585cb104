"""Run or strip the notebooks: ``python notebooks/_tools.py run|strip [NOTEBOOK ...]``.

``run`` executes a copy of each notebook (from notebooks/, at the path counts of its first cell
or ``ALVH_PATHS``) and writes it with its outputs to ``results/notebooks/``: the committed
notebooks never change. ``strip`` removes outputs and execution counts from notebooks given
(all of notebooks/ by default), as the repository keeps them (tests/test_notebooks.py checks).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "results" / "notebooks"


def strip(book) -> None:
    for cell in book.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)


def main(argv: list[str]) -> int:
    import nbformat

    if not argv or argv[0] not in ("run", "strip"):
        print(__doc__, file=sys.stderr)
        return 2
    paths = [Path(p) for p in argv[1:]] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        book = nbformat.read(path, as_version=4)
        if argv[0] == "run":
            from nbclient import NotebookClient

            NotebookClient(book, timeout=3600, kernel_name="python3",
                           resources={"metadata": {"path": str(HERE)}}).execute()
            OUT.mkdir(parents=True, exist_ok=True)
            target = OUT / path.name
        else:
            strip(book)
            target = path
        nbformat.write(book, target)
        print(f"{argv[0]}: {path} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
