"""BasicMotions: a smartwatch's accelerometer and gyroscope, four activities (UEA archive).

Four students wore a smartwatch and recorded each of four activities (standing, walking, running,
badminton) five times: 80 recordings of 10 s at 10 Hz, six channels. The archive does not say which
student made which recording, so recordings (sessions), not people, are held out: the archive's 40
TEST recordings are the test split.
"""

from __future__ import annotations

import functools

from motionlab.datasets.archive_csv import convert_archive
from motionlab.datasets.registry import RealDataset

FPS = 10

DATASET = RealDataset(
    name="basic_motions",
    title="BasicMotions — smartwatch accelerometer + gyroscope, 4 activities, 80 recordings",
    kind="imu",
    convert=functools.partial(
        convert_archive,
        archive="BasicMotions",
        archive_source="UEA multivariate time series classification archive",
        channels=("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
        label_names={name: name.lower() for name in ("Standing", "Walking", "Running", "Badminton")},
        provenance={
            "licence": "UEA archive: free for research use, cite the archive; aeon itself is BSD-3-Clause",
            "citation": "Bagnall et al., The UEA multivariate time series classification archive, 2018. "
            "arXiv:1811.00075",
            "fps": FPS,
            "held_out": "recordings (the archive's TEST cases); the student of each recording is unknown",
        },
    ),
    fps=FPS,
    overrides=("data.window=50", "data.stride=5", "data.eval_stride=5"),
)
