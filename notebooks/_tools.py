"""Run or strip the notebooks: ``python notebooks/_tools.py run|strip [NOTEBOOK ...]``.

``run`` executes each notebook in place (from notebooks/, at the path counts of its first cell
or ``ALVH_PATHS``); ``strip`` removes outputs and execution counts, as the repository keeps them
(tests/test_notebooks.py checks).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


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
        else:
            strip(book)
        nbformat.write(book, path)
        print(f"{argv[0]}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
