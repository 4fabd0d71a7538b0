"""Reading the UEA/UCR time-series archive's ``.ts`` files that ship inside installed wheels.

aeon bundles a few real recordings from the archive (``aeon/datasets/data/<Name>/<Name>_TRAIN.ts``).
This module finds them without importing aeon (which is heavy and optional) and parses the format
itself: a ``#`` comment block, ``@`` header lines, then one case per line — each dimension a
comma-separated series, dimensions separated by ``:``, the class label last.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motionlab.errors import DataFormatError

ARCHIVE_SPLITS = ("TRAIN", "TEST")


@dataclass
class ArchiveCases:
    """The cases of one ``.ts`` file: ``series [N, D, T]`` float64 (NaN-padded when lengths vary),
    ``labels [N]`` text, ``lengths [N]`` (frames before any padding) and the file's description."""

    series: np.ndarray
    labels: np.ndarray
    lengths: np.ndarray
    description: str
    path: Path


def bundled_file(package: str, relative: str, extra: str) -> Path:
    """The path of a data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the '{package}' package is not installed, and its wheel carries this data set: "
            f"pip install 'motionlab[{extra}]' (or make install, which includes it)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: not found in the installed '{package}' package (its version moved it?)"
        )
    return path


def read_ts(path: str | Path) -> ArchiveCases:
    """Parse a ``.ts`` file; every problem names the file and the line."""
    path = Path(path)
    description, rows, labels, line_numbers = [], [], [], []
    in_data = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            description.append(line.lstrip("#").strip())
        elif line.startswith("@"):
            in_data = in_data or line.lower().startswith("@data")
        elif not in_data:
            raise DataFormatError(path, f"line {number}: data before the @data header", "is it a .ts file?")
        else:
            *dimensions, label = line.split(":")
            if not dimensions:
                raise DataFormatError(
                    path, f"line {number}: no ':' before the class label", "is it a .ts file?"
                )
            try:
                rows.append([np.array(d.split(","), dtype=np.float64) for d in dimensions])
            except ValueError as exc:
                raise DataFormatError(path, f"line {number}: {exc}", "values must be numbers") from exc
            labels.append(label.strip())
            line_numbers.append(number)
    if not rows:
        raise DataFormatError(path, "no cases after @data", "is it a .ts file?")
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise DataFormatError(path, f"cases have different numbers of dimensions {sorted(widths)}")
    longest = max(len(d) for row in rows for d in row)
    series = np.full((len(rows), len(rows[0]), longest), np.nan)
    lengths = np.zeros(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        for j, values in enumerate(row):
            series[i, j, : len(values)] = values
        valid = ~np.isnan(series[i]).any(axis=0)
        lengths[i] = int(np.flatnonzero(valid)[-1]) + 1 if valid.any() else 0
    return ArchiveCases(series, np.array(labels), lengths, "\n".join(description), path)
