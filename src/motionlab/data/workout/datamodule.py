"""`WorkoutDataModule`: workout sessions (seed 004) → windows with exercise class + rep-start targets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from torch import Tensor

from motionlab.data.datamodule import MotionDataModule
from motionlab.data.recording import Recording
from motionlab.data.report import DataReport
from motionlab.data.sample_cache import PathOrSample
from motionlab.data.windows import WindowSet
from motionlab.data.workout.format import iter_workout_dir
from motionlab.data.workout.synthetic import ensure_workout_sample
from motionlab.data.workout.targets import majority_label, positive_ratio_weights, rep_targets


class WorkoutDataModule(PathOrSample, MotionDataModule):
    """Windows of joint angles labelled with the exercise and a smoothed rep-start signal.

    Args:
        path: a session ``.npz`` or a directory of them; ``None`` uses the built-in sample data,
            generated on first use into ``cache_dir`` with the ``sample`` parameters.
        classes: exercise vocabulary; a label outside it is an error.
        rep_half_width: frames from a rep start at which its target falls to 0.5.
        positive_ratio: share of training windows drawn from windows where a rep starts (balanced
            sampling, seed 004's 0.2); ``None`` samples uniformly.
        **engine: `MotionDataModule` arguments (window, stride, split, augment, ...).
    """

    generate_sample = staticmethod(ensure_workout_sample)

    class_target = "label"

    def __init__(
        self,
        path: str | None,
        cache_dir: str,
        sample: Mapping[str, Any],
        classes: Sequence[str],
        rep_half_width: float,
        positive_ratio: float | None,
        **engine: Any,
    ) -> None:
        super().__init__(class_names=classes, **engine)
        self.set_source(path, cache_dir, sample)
        self.rep_half_width = rep_half_width
        self.positive_ratio = positive_ratio

    def load_recordings(self) -> Iterator[Recording]:
        return iter_workout_dir(self.data_path(), class_names=self.class_names)

    def frame_targets(self, recording: Recording) -> dict[str, np.ndarray]:
        return {
            "frame_label": recording.targets["label"],
            "rep_target": rep_targets(recording.events["rep_starts"], len(recording), self.rep_half_width),
        }

    def window_targets(self, windows: WindowSet) -> dict[str, Tensor]:
        return {
            "label": majority_label(windows.windowed("frame_label")),
            "has_rep": (windows.windowed("rep_target") >= 0.5).any(dim=1),
        }

    def train_sample_weights(self, windows: WindowSet) -> Tensor | None:
        if self.positive_ratio is None:
            return None
        return positive_ratio_weights(windows.window_targets["has_rep"], self.positive_ratio)

    def spec_extras(self) -> dict[str, Any]:
        return {"rep_half_width": self.rep_half_width}

    def extend_report(self, report: DataReport) -> None:
        report.extras["repetitions"] = {
            split: {
                "reps": int(sum(len(r.events["rep_starts"]) for r in windows.recordings)),
                "positive_window_fraction": round(float(windows.window_targets["has_rep"].float().mean()), 4),
            }
            for split, windows in self.windows.items()
        }
        report.extras["positive_ratio_sampled"] = self.positive_ratio
