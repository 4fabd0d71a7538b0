"""Recordings → one per-frame CSV in the project's pose/sensor CSV layout (docs/formats/pose-csv.md)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from motionlab.files import atomic_output


def write_frames_csv(
    out: Path,
    meta_columns: Sequence[str],
    channels: Sequence[str],
    recordings: Iterable[tuple[Sequence[str], np.ndarray]],
) -> Path:
    """Write ``out``: columns ``meta_columns``, ``frame``, then ``channels``; one row per frame of each
    recording, given as (its meta values, in ``meta_columns`` order; its values ``[T, channels]``).
    Values keep 6 significant digits."""
    with atomic_output(out) as temporary, temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*meta_columns, "frame", *channels])
        for meta, values in recordings:
            writer.writerows([*meta, str(t), *(f"{v:.6g}" for v in frame)] for t, frame in enumerate(values))
    return out
