"""GunPoint: the tracked centroid of an actor's right hand in video, two gestures (UCR archive).

A female and a male actor either draw a replica gun from a hip holster and point it at a target, or
point with the index finger; the hand's X coordinate was tracked at 30 fps (150 frames, z-normalised
per recording by the archive). 200 recordings; the archive's 150 TEST recordings are the test split
(the actor of each recording is not given, so recordings are held out).
"""

from __future__ import annotations

from pathlib import Path

from motionlab.datasets.archive_csv import write_archive_csv, write_provenance
from motionlab.datasets.registry import RealDataset
from motionlab.datasets.ts_archive import ARCHIVE_SPLITS, bundled_file, read_ts

CHANNELS = ("hand_x",)
LABELS = {"1": "gun", "2": "point"}


def convert(out: Path) -> Path:
    parts = {
        split: read_ts(bundled_file("aeon", f"datasets/data/GunPoint/GunPoint_{split}.ts", "classical"))
        for split in ARCHIVE_SPLITS
    }
    csv_path, summary = write_archive_csv(out / "gun_point.csv", parts, CHANNELS, LABELS)
    write_provenance(
        out,
        {
            "dataset": "GunPoint",
            "source": "UCR time series classification archive, as bundled in the aeon wheel "
            "(aeon/datasets/data/GunPoint/*.ts)",
            "files": [str(part.path) for part in parts.values()],
            "description": parts["TRAIN"].description,
            "licence": "UCR archive: free for research use, cite the archive; aeon itself is BSD-3-Clause",
            "citation": "Ratanamahatana and Keogh, 2005; Dau et al., The UCR time series archive, 2019. "
            "arXiv:1810.07758",
            "fps": 30,
            "labels": LABELS,
            "held_out": "recordings (the archive's TEST cases); the actor of each recording is unknown",
            **summary,
        },
    )
    return csv_path


DATASET = RealDataset(
    name="gun_point",
    title="GunPoint — tracked hand position in video, gun-draw vs point, 200 recordings",
    kind="landmarks",
    convert=convert,
    fps=30,
    overrides=("data.fps=30", "data.window=120", "data.eval_stride=5"),
)
