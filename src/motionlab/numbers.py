"""Values that float32 cannot hold: a finite number beyond ±3.4e38 becomes ``inf`` when a recording is
stored as float32, and the error would then name an infinity the file never held. Readers check their
float64 values first and name the file, row and column of the first such value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from motionlab.errors import DataFormatError

FLOAT32_MAX = float(np.finfo(np.float32).max)


def first_beyond_float32(values: np.ndarray) -> tuple[int, ...] | None:
    """The index of the first finite value of ``values`` that float32 cannot hold; ``None`` if none."""
    if values.dtype.kind != "f" or values.dtype.itemsize <= 4:
        return None
    beyond = np.isfinite(values) & (np.abs(values) > FLOAT32_MAX)
    if not beyond.any():
        return None
    return tuple(int(i) for i in np.argwhere(beyond)[0])


def check_float32_range(
    path: str | Path, values: np.ndarray, locate: Callable[[tuple[int, ...]], str]
) -> None:
    """Raise a `DataFormatError` naming ``path`` and ``locate(index)`` (row and column in the file's
    own terms) for the first value of ``values`` that float32 cannot hold."""
    index = first_beyond_float32(values)
    if index is not None:
        raise DataFormatError(
            path,
            f"{locate(index)}: {values[index]:g} is beyond float32's range (±3.4e38)",
            "fix the export (a wrong unit or a corrupt value); motionlab stores values as float32",
        )
