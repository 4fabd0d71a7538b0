"""Values that float32 cannot hold: a finite number beyond ±3.4e38 becomes ``inf`` when a recording is
stored as float32, and the error would then name an infinity the file never held. Readers check their
float64 values first and name the file, row and column of the first such value."""

from __future__ import annotations

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)
BEYOND_FLOAT32 = "beyond float32's range (±3.4e38)"
BEYOND_FLOAT32_FIX = "fix the export (a wrong unit or a corrupt value); motionlab stores values as float32"


def first_beyond_float32(values: np.ndarray) -> tuple[int, ...] | None:
    """The index of the first finite value of ``values`` that float32 cannot hold; ``None`` if none."""
    if values.dtype.kind != "f" or values.dtype.itemsize <= 4:
        return None
    beyond = np.isfinite(values) & (np.abs(values) > FLOAT32_MAX)
    if not beyond.any():
        return None
    return tuple(int(i) for i in np.argwhere(beyond)[0])
