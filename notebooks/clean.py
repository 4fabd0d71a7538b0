"""Strip outputs, execution counts and per-cell editor metadata from notebooks, so that git holds
only their source: ``make notebooks-clean`` (or ``python notebooks/clean.py [--check] [FILES]``).

With ``--check`` nothing is written: the notebooks that need cleaning are listed and the exit status
is 1 (the test suite runs this on every committed notebook).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent
# Cell metadata worth keeping: the "parameters" tag marks the cell the tests inject settings after.
KEPT_CELL_METADATA = ("tags",)
KEPT_NOTEBOOK_METADATA = ("kernelspec",)


def clean(notebook: nbformat.NotebookNode) -> bool:
    """Strip ``notebook`` in place; whether anything changed."""
    before = nbformat.writes(notebook)
    for cell in notebook.cells:
        cell.metadata = {key: value for key, value in cell.metadata.items() if key in KEPT_CELL_METADATA}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata = {k: v for k, v in notebook.metadata.items() if k in KEPT_NOTEBOOK_METADATA}
    notebook.metadata["language_info"] = {"name": "python"}
    return nbformat.writes(notebook) != before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true", help="only list the notebooks that need cleaning")
    args = parser.parse_args(argv)
    dirty = []
    for path in args.files or sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        if clean(notebook):
            dirty.append(path)
            if not args.check:
                nbformat.write(notebook, path)
    status = "has outputs or editor metadata: run make notebooks-clean" if args.check else "cleaned"
    for path in dirty:
        print(f"{path}: {status}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
