"""`ImuNpzDataModule`: IMU sessions → label-pure windows classified by their activity."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from torch import Tensor

from motionlab.data.datamodule import MotionDataModule
from motionlab.data.files import data_files
from motionlab.data.imu_npz.format import read_imu_session
from motionlab.data.recording import Recording
from motionlab.data.windows import WindowSet
from motionlab.errors import ConfigError


class ImuNpzDataModule(MotionDataModule):
    """Windows inside one activity (``pure_target``); a window's class is that activity."""

    class_target = "label"  # stratifies the split, counts classes, weights the loss
    pure_target = "frame_label"  # no window straddles a change of activity

    def __init__(self, path: str | None, cache_dir: str, classes: Sequence[str], **engine: Any) -> None:
        if path is None:  # no built-in sample (cache_dir, from base.yaml, is unused)
            raise ConfigError("data.path", "is not set", "point it at a session .npz or a folder of them")
        super().__init__(class_names=classes, **engine)
        self.path = path

    def describe_source(self) -> str:
        return self.path

    def load_recordings(self) -> Iterator[Recording]:
        files = data_files(self.path, ".npz", "IMU session", "sessions", "save one .npz per session")
        return (read_imu_session(file, self.class_names) for file in files)

    def frame_targets(self, recording: Recording) -> dict[str, np.ndarray]:
        return {"frame_label": recording.targets["label"]}

    def window_targets(self, windows: WindowSet) -> dict[str, Tensor]:
        return {"label": windows.frame_targets["frame_label"][windows.starts]}
