"""`CsvFramesDataModule`: per-frame pose CSVs (seed 001) → label-pure windows with an activity class."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from motionlab.data.csv_frames.format import PoseColumns, PoseTable, pose_csv_files, read_pose_csvs
from motionlab.data.csv_frames.synthetic import ensure_pose_sample
from motionlab.data.datamodule import MotionDataModule
from motionlab.data.recording import Recording
from motionlab.data.report import DataReport
from motionlab.data.sample_cache import PathOrSample
from motionlab.data.windows import WindowSet
from motionlab.errors import ConfigError

# Warn when a class loses more than this share of its labelled frames to segments shorter than a window.
MAX_UNUSED_SHARE = 0.5


class CsvFramesDataModule(PathOrSample, MotionDataModule):
    """Windows of pose features, each inside one labelled segment, classified by its activity.

    Segments (runs of one label within a recording) are found automatically: a window never spans
    two labels or two recordings, so its class is its frames' label.

    Args:
        path: a CSV file, a directory of them (searched recursively) or a list of files; ``None``
            uses the built-in sample, generated on first use into ``cache_dir`` with the ``sample``
            parameters (of `generate_pose_dataset`).
        columns: column roles, `PoseColumns` fields (``features``, ``label``, ``recording``,
            ``subject``, ``frame``).
        fps: frame rate of the recordings.
        classes: the class vocabulary in index order; ``None`` uses every label found, sorted.
        nan_policy: ``interpolate`` (runs of up to ``max_gap`` missing frames, within a recording)
            or ``error``.
        unlabelled: CSVs (a file, directory or list, read with the same columns; a label column
            in them is ignored) of training recordings without labels, for a task that learns from
            them (``task.self_training``): their windows are `MotionDataModule.unlabelled`. Their
            people (or sessions) must not be validation or test ones.
        balanced_sampler: draw training windows with equal probability per class. The loss's class
            weights then become 1 (the sampled stream is already balanced; weighting it again would
            over-correct).
        **engine: `MotionDataModule` arguments (window, stride, split, augment, ...). ``split.by``
            ``None`` splits by subject when a subject column is set, else by recording.
    """

    generate_sample = staticmethod(ensure_pose_sample)

    class_target = "label"
    pure_target = "frame_label"

    def __init__(
        self,
        path: str | Sequence[str] | None,
        cache_dir: str,
        sample: Mapping[str, Any],
        columns: Mapping[str, Any],
        fps: float,
        classes: Sequence[str] | None = None,
        nan_policy: str = "interpolate",
        balanced_sampler: bool = False,
        unlabelled: str | Sequence[str] | None = None,
        split: Mapping[str, Any] | None = None,
        **engine: Any,
    ) -> None:
        self.columns = PoseColumns(**columns)
        if self.columns.label is None:  # recordings without labels: no classes, windows span anything
            self.class_target = self.pure_target = None
            if balanced_sampler:
                raise ConfigError(
                    "data.balanced_sampler",
                    "is true but data.columns.label is null: there are no classes to balance",
                    "set data.balanced_sampler=false, or name the label column",
                )
        split = dict(split or {})
        if split.get("by") is None:
            split["by"] = "subject" if self.columns.subject is not None else "recording"
        super().__init__(class_names=classes or (), split=split, **engine)
        self.set_source(path, cache_dir, sample)
        self.fps = fps
        self.classes = None if classes is None else list(classes)
        self.nan_policy = nan_policy
        self.balanced_sampler = balanced_sampler
        self.unlabelled_path = unlabelled
        self.table: PoseTable | None = None

    def prepare_data(self) -> None:
        self._files()

    def _files(self) -> list[Path]:
        return pose_csv_files(self.path if self.path is not None else self.sample_path())

    def describe_source(self) -> str:
        if self.path is None or isinstance(self.path, str):
            return super().describe_source()
        return ", ".join(map(str, self.path))

    def load_recordings(self) -> list[Recording]:
        column = self.split_cfg.get("column")
        self.table = read_pose_csvs(
            self._files(),
            self.columns,
            self.fps,
            self.classes,
            self.nan_policy,
            keep=[column] if column is not None else [],
        )
        self.class_names = self.table.class_names
        return self.table.recordings

    def load_unlabelled_recordings(self) -> list[Recording]:
        if self.unlabelled_path is None:
            return []
        # the labelled files' feature columns by name: a label or split column is then just ignored
        columns = dataclasses.replace(self.columns, label=None, features=self.table.feature_names)
        return read_pose_csvs(
            pose_csv_files(self.unlabelled_path), columns, self.fps, None, self.nan_policy
        ).recordings

    def frame_targets(self, recording: Recording) -> dict[str, np.ndarray]:
        return {"frame_label": recording.targets["label"]} if "label" in recording.targets else {}

    def window_targets(self, windows: WindowSet) -> dict[str, Tensor]:
        if self.class_target is None:
            return {}
        # Windows are label-pure: the first frame's label is every frame's.
        return {"label": windows.frame_targets["frame_label"][windows.starts]}

    def class_weights(self) -> list[float]:
        weights = super().class_weights()
        if not self.balanced_sampler:
            return weights
        return [1.0 if w > 0 else 0.0 for w in weights]

    def train_sample_weights(self, windows: WindowSet) -> Tensor | None:
        if not self.balanced_sampler:
            return None
        return class_balanced_weights(windows.window_targets["label"], len(self.class_names))

    def extend_report(self, report: DataReport) -> None:
        table = self.table
        report.extras["csv"] = {
            "files": table.files,
            "rows": table.rows,
            "columns": table.columns,
            "recordings_reordered_by_frame": table.reordered_recordings,
            "nan_policy": self.nan_policy,
        }
        report.extras["labels"] = self.columns.label is not None
        if self.class_target is not None:
            self._report_segments(report)
        report.extras["balanced_sampler"] = self.balanced_sampler
        report.extras["mirror_pairs"] = self._mirror_pairs()
        if self.augment.mirror_prob > 0 and not report.extras["mirror_pairs"]:
            report.warn(
                "data.augment.mirror_prob > 0 but no left/right feature pairs were found, so mirroring "
                "changes nothing: list them in data.augment.mirror_pairs ('auto' pairs left*/right* names)"
            )

    def _report_segments(self, report: DataReport) -> None:
        """Labelled segments per class, with a warning for a class that gives (almost) no window."""
        report.extras["segments"] = segment_summary(
            [r for split in self.windows.values() for r in split.recordings], self.class_names, self.window
        )
        for name, entry in report.extras["segments"].items():
            if not entry["frames"]:
                report.warn(
                    f"class '{name}' (data.classes) occurs in no recording: the model cannot learn it"
                )
            elif entry["frames_in_short_segments"] / entry["frames"] > MAX_UNUSED_SHARE:
                report.warn(
                    f"class '{name}': {entry['short_segments']} of its {entry['segments']} segments are "
                    f"shorter than the {self.window}-frame window, so {entry['frames_in_short_segments']} "
                    f"of its {entry['frames']} frames give no window; lower data.window"
                )

    def _mirror_pairs(self) -> list[list[str]]:
        """The feature pairs the mirror augmentation swaps (for the report)."""
        if self.augment.mirror_index is None:
            return []
        names = self._feature_names
        return [[names[i], names[j]] for i, j in enumerate(self.augment.mirror_index.tolist()) if i < j]


def class_balanced_weights(labels: Tensor, num_classes: int) -> Tensor:
    """Sampling weight per window so that every class present is drawn equally often."""
    counts = torch.bincount(labels, minlength=num_classes).double()
    return 1.0 / counts[labels]


def segment_summary(recordings: Sequence[Recording], class_names: Sequence[str], window: int) -> dict:
    """Per class: labelled segments, how many are shorter than ``window`` and the frames they hold."""
    lengths, labels = [], []
    for recording in recordings:
        frame_labels = recording.targets["label"]
        starts = np.flatnonzero(np.diff(frame_labels, prepend=-1) != 0)
        lengths.append(np.diff(np.append(starts, len(frame_labels))))
        labels.append(frame_labels[starts])
    lengths, labels = np.concatenate(lengths), np.concatenate(labels)
    short = lengths < window
    summary = {}
    for c, name in enumerate(class_names):
        mine = labels == c
        summary[name] = {
            "segments": int(mine.sum()),
            "short_segments": int((mine & short).sum()),
            "frames": int(lengths[mine].sum()),
            "frames_in_short_segments": int(lengths[mine & short].sum()),
        }
    return summary
