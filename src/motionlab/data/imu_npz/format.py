"""The .npz session: ``acc [T, 3]`` and ``gyro [T, 3]`` (float), ``activity [T]`` (str), ``fps``
and ``subject`` (scalars). The file stem is the session id."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from motionlab.data.recording import Recording
from motionlab.errors import DataFormatError

FEATURES = [f"{sensor}_{axis}" for sensor in ("acc", "gyro") for axis in "xyz"]
KEYS = ("acc", "gyro", "activity", "fps", "subject")


def read_imu_session(path: Path, class_names: Sequence[str]) -> Recording:
    """One session as a `Recording` whose ``label`` target is the class index of each frame."""
    with np.load(path, allow_pickle=False) as npz:
        missing = [key for key in KEYS if key not in npz]
        if missing:
            raise DataFormatError(path, f"missing arrays {missing}", f"save every one of {list(KEYS)}")
        frames = np.concatenate([npz["acc"], npz["gyro"]], axis=1).astype(np.float32)
        activity, fps, subject = npz["activity"], float(npz["fps"]), str(npz["subject"])
    unknown = sorted(set(activity.tolist()) - set(class_names))
    if unknown:
        raise DataFormatError(path, f"activities {unknown} are not in data.classes", "add them there")
    index = {name: i for i, name in enumerate(class_names)}
    labels = np.array([index[a] for a in activity.tolist()], dtype=np.int64)
    return Recording(
        path.stem, frames, FEATURES, fps, group=subject, source=str(path), targets={"label": labels}
    )
