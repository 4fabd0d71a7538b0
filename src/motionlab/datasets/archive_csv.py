"""Archive cases → one per-frame CSV in the project's pose/sensor CSV layout (docs/formats/pose-csv.md).

Columns: ``recording`` (one archive case), ``split`` (train/val/test), ``label``, ``frame``, then
one column per channel. The archive's own TEST cases stay the test split; validation is a
class-stratified share of its TRAIN cases, picked deterministically, so every run of every method
sees the same three splits.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.datasets.frames_csv import recordings_summary, write_frames_csv
from motionlab.datasets.ts_archive import ARCHIVE_SPLITS, ArchiveCases, bundled_file, read_ts
from motionlab.files import write_json_atomic

# Every VAL_EVERY-th training case of each class (in file order) becomes a validation case.
VAL_EVERY = 4


def validation_mask(labels: np.ndarray, every: int = VAL_EVERY) -> np.ndarray:
    """True for every ``every``-th case of each class (its 2nd, 6th, ... in file order)."""
    order = np.argsort(labels, kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    sorted_labels = labels[order]
    first = np.r_[0, np.flatnonzero(sorted_labels[1:] != sorted_labels[:-1]) + 1]
    starts = np.repeat(first, np.diff(np.r_[first, len(labels)]))
    rank[order] = np.arange(len(labels)) - starts
    return rank % every == 1


def write_archive_csv(
    out: Path,
    parts: dict[str, ArchiveCases],
    channels: Sequence[str],
    label_names: dict[str, str],
) -> tuple[Path, dict[str, Any]]:
    """Write the TRAIN/TEST cases as ``out`` (a CSV, one row per frame) and return it with a summary
    of what was written (cases per split and class, frames)."""
    recordings: list[tuple[list[str], np.ndarray]] = []
    for archive_split, cases in parts.items():
        labels = np.array([label_names.get(x, x) for x in cases.labels])
        is_val = validation_mask(labels) if archive_split == "TRAIN" else np.zeros(len(labels), bool)
        for i in range(len(labels)):
            split = "test" if archive_split == "TEST" else ("val" if is_val[i] else "train")
            length = int(cases.lengths[i])
            recordings.append(
                ([f"{archive_split.lower()}_{i:03d}", split, labels[i]], cases.series[i, :, :length].T)
            )
    meta_columns = ["recording", "split", "label"]
    write_frames_csv(out, meta_columns, channels, recordings)
    return out, recordings_summary(meta_columns, recordings)


def convert_archive(
    out: Path,
    archive: str,
    archive_source: str,
    channels: Sequence[str],
    label_names: dict[str, str],
    provenance: dict[str, Any],
) -> Path:
    """Convert the aeon-bundled archive set ``archive`` (its TRAIN and TEST ``.ts`` files) into
    ``out/<name>.csv`` plus ``provenance.json`` (``provenance``: licence, citation, fps, ...)."""
    parts = {
        split: read_ts(bundled_file("aeon", f"datasets/data/{archive}/{archive}_{split}.ts", "classical"))
        for split in ARCHIVE_SPLITS
    }
    csv_path, summary = write_archive_csv(out / f"{out.name}.csv", parts, channels, label_names)
    write_json_atomic(
        out / "provenance.json",
        {
            "dataset": archive,
            "source": f"{archive_source}, as bundled in the aeon wheel (aeon/datasets/data/{archive}/*.ts)",
            "files": [f"aeon/datasets/data/{archive}/{part.path.name}" for part in parts.values()],
            "description": parts["TRAIN"].description,
            **provenance,
            **summary,
        },
    )
    return csv_path
