"""Shoulder physiotherapy exercises: a smartwatch's accelerometer and gyroscope, 10 people (seglearn).

Ten people wore an Apple Watch and performed seven shoulder exercises of a physiotherapy programme
(pendulum, abduction, forward elevation, internal and external rotation, trapezius extension,
upright row), once with each arm: 140 recordings of 19–52 s at 50 Hz, six channels (acceleration in
g, angular velocity in rad/s). The data (Burns et al. 2018) ships in seglearn's wheel as
``seglearn/data/watch_dataset.npy``, a pickled dict read here without running it
(`motionlab.datasets.object_npy`).

People are held out: the test split is three people (ids 8–10), validation two (6, 7), training
five (1–5). The arm is part of the recording's name, not a feature: a model must recognise the
exercise on either arm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motionlab.datasets.frames_csv import recordings_summary, write_frames_csv
from motionlab.datasets.object_npy import load_object_npy
from motionlab.datasets.registry import RealDataset
from motionlab.datasets.ts_archive import bundled_file
from motionlab.errors import DataFormatError
from motionlab.files import write_json_atomic

FPS = 50
SOURCE = "seglearn/data/watch_dataset.npy"
CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
LABELS = {
    "PEN": "pendulum",
    "ABD": "abduction",
    "FEL": "forward_elevation",
    "IR": "internal_rotation",
    "ER": "external_rotation",
    "TRAP": "trapezius_extension",
    "ROW": "upright_row",
}
SPLIT_OF_SUBJECT = {
    **dict.fromkeys(range(1, 6), "train"),
    6: "val",
    7: "val",
    8: "test",
    9: "test",
    10: "test",
}


def convert(out: Path) -> Path:
    """Write ``out/shoulder_exercises.csv`` (columns recording, split, subject, label, frame, the six
    channels) and ``provenance.json``."""
    path = bundled_file("seglearn", SOURCE.removeprefix("seglearn/"), "classical")
    data = load_object_npy(path)
    if not isinstance(data, dict) or not {"X", "y", "subject", "side", "y_labels"} <= data.keys():
        raise DataFormatError(
            path, "not seglearn's watch data set (a dict with X, y, subject, side, y_labels)"
        )
    names = [LABELS[code] for code in data["y_labels"]]
    recordings = []
    for values, label, subject, side in zip(data["X"], data["y"], data["subject"], data["side"], strict=True):
        subject, name = int(subject), names[int(label)]
        split = SPLIT_OF_SUBJECT[subject]
        arm = "right" if side == 1 else "left"
        recording = f"s{subject:02d}_{arm}_{name}"
        recordings.append(([recording, split, f"s{subject:02d}", name], np.asarray(values)))
    meta_columns = ["recording", "split", "subject", "label"]
    csv_path = write_frames_csv(out / f"{out.name}.csv", meta_columns, CHANNELS, recordings)
    write_json_atomic(
        out / "provenance.json",
        {
            "dataset": "seglearn watch data set (shoulder physiotherapy exercises)",
            "source": f"the seglearn wheel ({SOURCE}), read as plain arrays without unpickling code",
            "files": [SOURCE],
            "licence": "BSD-3-Clause (seglearn, Copyright (c) 2018 David M. Burns)",
            "citation": "Burns, Leung, Hardisty, Whyne, Henry and McLachlin, Shoulder physiotherapy "
            "exercise recognition: machine learning the inertial signals from a smartwatch, Physiological "
            "Measurement 39(7), 2018. arXiv:1802.01489",
            "fps": FPS,
            "channels": {"acc_*": "acceleration (g)", "gyro_*": "angular velocity (rad/s)"},
            "held_out": "people: test ids 8-10, validation 6-7, training 1-5 (column subject)",
            **recordings_summary(meta_columns, recordings),
        },
    )
    return csv_path


DATASET = RealDataset(
    name="shoulder_exercises",
    title="Shoulder exercises — smartwatch accelerometer + gyroscope, 7 exercises, 10 people",
    kind="imu",
    convert=convert,
    fps=FPS,
    overrides=("data.columns.subject=subject", "data.window=100", "data.stride=25", "data.eval_stride=25"),
)
