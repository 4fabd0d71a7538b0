"""BasicMotions: a smartwatch's accelerometer and gyroscope, four activities (UEA archive).

Four students wore a smartwatch and recorded each of four activities (standing, walking, running,
badminton) five times: 80 recordings of 10 s at 10 Hz, six channels. The archive does not say which
student made which recording, so recordings (sessions), not people, are held out: the archive's 40
TEST recordings are the test split.
"""

from __future__ import annotations

from pathlib import Path

from motionlab.datasets.archive_csv import write_archive_csv, write_provenance
from motionlab.datasets.registry import RealDataset
from motionlab.datasets.ts_archive import ARCHIVE_SPLITS, bundled_file, read_ts

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")


def convert(out: Path) -> Path:
    parts = {
        split: read_ts(
            bundled_file("aeon", f"datasets/data/BasicMotions/BasicMotions_{split}.ts", "classical")
        )
        for split in ARCHIVE_SPLITS
    }
    names = {label: label.lower() for part in parts.values() for label in part.labels}
    csv_path, summary = write_archive_csv(out / "basic_motions.csv", parts, CHANNELS, names)
    write_provenance(
        out,
        {
            "dataset": "BasicMotions",
            "source": "UEA multivariate time series classification archive, as bundled in the aeon "
            "wheel (aeon/datasets/data/BasicMotions/*.ts)",
            "files": [str(part.path) for part in parts.values()],
            "description": parts["TRAIN"].description,
            "licence": "UEA archive: free for research use, cite the archive; aeon itself is BSD-3-Clause",
            "citation": "Bagnall et al., The UEA multivariate time series classification archive, 2018. "
            "arXiv:1811.00075",
            "fps": 10,
            "held_out": "recordings (the archive's TEST cases); the student of each recording is unknown",
            **summary,
        },
    )
    return csv_path


DATASET = RealDataset(
    name="basic_motions",
    title="BasicMotions — smartwatch accelerometer + gyroscope, 4 activities, 80 recordings",
    kind="imu",
    convert=convert,
    fps=10,
    overrides=("data.fps=10", "data.window=50", "data.stride=5", "data.eval_stride=5"),
)
