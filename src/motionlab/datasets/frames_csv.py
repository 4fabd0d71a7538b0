"""Recordings → one per-frame CSV in the project's pose/sensor CSV layout (docs/formats/pose-csv.md)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

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


def recordings_summary(
    meta_columns: Sequence[str], recordings: Sequence[tuple[Sequence[str], np.ndarray]]
) -> dict[str, Any]:
    """What `write_frames_csv` writes of ``recordings``, for a provenance file: ``cases`` (recordings
    per split and label, in the order met) and ``frames``."""
    split, label = meta_columns.index("split"), meta_columns.index("label")
    cases: dict[str, dict[str, int]] = {}
    for meta, _ in recordings:
        per_label = cases.setdefault(meta[split], {})
        per_label[meta[label]] = per_label.get(meta[label], 0) + 1
    return {"cases": cases, "frames": int(sum(len(values) for _, values in recordings))}
