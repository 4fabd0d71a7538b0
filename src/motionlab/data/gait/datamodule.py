"""`GaitDataModule`: running videos or landmark files (seed 003) → windows of 30 × 132 landmark
features with per-frame gait phase, and per-window form score and issue targets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from motionlab.data.datamodule import MotionDataModule
from motionlab.data.gait.annotations import read_annotation
from motionlab.data.gait.augment import SkeletonAugment
from motionlab.data.gait.format import GaitItem, find_gait_items, gait_recording
from motionlab.data.gait.synthetic import ensure_gait_sample
from motionlab.data.recording import Recording
from motionlab.data.report import DataReport
from motionlab.data.sample_cache import PathOrSample
from motionlab.data.windows import WindowSet
from motionlab.errors import DataFormatError
from motionlab.pose.cache import ExtractionReport, extract_videos
from motionlab.pose.extractor import ExtractorSettings
from motionlab.pose.files import read_landmarks
from motionlab.pose.landmarks import COORDINATES, POSE_LANDMARKS, pose_detected
from motionlab.pose.normalize import BodyFrame

# A window has a form label when at least this share of its frames is labelled.
MIN_LABELLED_SHARE = 0.5
# Training windows transformed at a time when fitting body-frame normalisation statistics.
STATS_CHUNK = 4096


class GaitDataModule(PathOrSample, MotionDataModule):
    """Landmark windows labelled with the gait phase per frame, the form score and the issues.

    Args:
        path: a folder of videos and/or landmark files with ``.gait.json`` annotations (or one such
            file); ``None`` uses the built-in synthetic sample, generated on first use into
            ``cache_dir`` with the ``sample`` parameters.
        pose: `ExtractorSettings` fields (``model_path``, confidences) plus ``cache_dir``, where
            extracted landmarks are cached per video, and ``progress`` (show a progress bar).
        phases / issues: the label vocabularies (seed 003's four phases and three issues).
        body_frame: the model expresses each window in the runner's body frame before normalising it
            (`motionlab.pose.normalize.BodyFrame`); normalisation statistics are then fitted on that.
        skeleton_augment: `SkeletonAugment` fields, applied to training batches after the engine's
            augmentation (mirror, time warp).
        **engine: `MotionDataModule` arguments (window, stride, max_gap, long_gaps, split, ...).
    """

    generate_sample = staticmethod(ensure_gait_sample)

    def __init__(
        self,
        path: str | None,
        cache_dir: str,
        sample: Mapping[str, Any],
        pose: Mapping[str, Any],
        phases: Sequence[str],
        issues: Sequence[str],
        body_frame: bool = True,
        skeleton_augment: Mapping[str, Any] | None = None,
        **engine: Any,
    ) -> None:
        super().__init__(class_names=phases, **engine)
        self.set_source(path, cache_dir, sample)
        pose = dict(pose)
        self.pose_cache_dir = pose.pop("cache_dir")
        self.progress = pose.pop("progress", True)
        self.extractor_settings = ExtractorSettings(**pose)
        self.issue_names = list(issues)
        self.body_frame = body_frame
        self.skeleton_augment = SkeletonAugment(**(skeleton_augment or {}))
        self.extraction = ExtractionReport()
        self._pose_counts = {"frames": 0, "frames_without_pose": 0, "landmark_files": 0}

    def load_recordings(self) -> list[Recording]:
        items, unannotated = find_gait_items(self.data_path())
        for media in unannotated:
            self.skip_unreadable(media.stem, str(media), f"no annotation {media.stem}.gait.json beside it")
        annotations = {
            item: read_annotation(item.annotation, self.class_names, self.issue_names) for item in items
        }
        videos = [item.media for item in items if item.is_video]
        poses, self.extraction = (
            extract_videos(videos, self.extractor_settings, self.pose_cache_dir, self.progress)
            if videos
            else ({}, ExtractionReport())
        )
        for video, reason in self.extraction.failed.items():
            self.skip_unreadable(Path(video).stem, video, reason)
        self._pose_counts = {
            "frames": 0,
            "frames_without_pose": 0,
            "landmark_files": len(items) - len(videos),
        }
        recordings = []
        for item in items:
            media = self._landmarks(item, poses)
            if media is None:
                continue
            landmarks, fps = media
            recordings.append(
                gait_recording(item, landmarks, fps, annotations[item], self.class_names, self.issue_names)
            )
            self._pose_counts["frames"] += len(landmarks)
            self._pose_counts["frames_without_pose"] += int((~pose_detected(landmarks)).sum())
        return recordings

    def _landmarks(self, item: GaitItem, poses: dict) -> tuple[np.ndarray, float | None] | None:
        """The item's landmarks and frame rate, or ``None`` when its media could not be read (skipped)."""
        if item.is_video:
            pose = poses.get(item.media)
            return None if pose is None else (pose.landmarks, pose.fps)
        try:
            return read_landmarks(item.media)
        except DataFormatError as error:
            self.skip_unreadable(item.name, str(item.media), str(error))
            return None

    def frame_targets(self, recording: Recording) -> dict[str, np.ndarray]:
        return {"phase": recording.targets["phase"]}

    def window_targets(self, windows: WindowSet) -> dict[str, Tensor]:
        """Per window: mean form score and issue flags over its labelled frames, and whether at
        least `MIN_LABELLED_SHARE` of its frames are labelled (``form_labelled``)."""
        rows = windows.starts.unsqueeze(1) + torch.arange(windows.window)
        score = _concatenated(windows, "form_score")[rows]  # [M, W]
        flags = _concatenated(windows, "issues")[rows]  # [M, W, I]
        labelled = ~score.isnan()
        share = labelled.float().mean(dim=1)
        count = labelled.sum(dim=1).clamp(min=1)
        return {
            "form_score": torch.where(labelled, score, 0).sum(dim=1) / count,
            "issues": torch.where(labelled.unsqueeze(-1), flags, 0).sum(dim=1) / count.unsqueeze(-1),
            "form_labelled": share >= MIN_LABELLED_SHARE,
        }

    def normalization_chunks(self) -> Iterable[Tensor]:
        if not self.body_frame:
            return super().normalization_chunks()
        windows = self.windows["train"]
        transform = BodyFrame()
        return (
            transform(windows.gather(index)["x"]).flatten(0, 1)
            for index in torch.arange(len(windows)).split(STATS_CHUNK)
        )

    def spec_extras(self) -> dict[str, Any]:
        return {
            "body_frame": self.body_frame,
            "issue_names": self.issue_names,
            "landmarks": list(POSE_LANDMARKS),
            "coordinates": list(COORDINATES),
        }

    def extend_report(self, report: DataReport) -> None:
        report.extras["pose"] = {
            **self._pose_counts,
            "videos_extracted": len(self.extraction.extracted),
            "videos_from_cache": len(self.extraction.cached),
            "videos_failed": len(self.extraction.failed),
        }
        report.extras["labels"] = {
            split: self._label_summary(windows) for split, windows in self.windows.items()
        }

    def _label_summary(self, windows: WindowSet) -> dict[str, Any]:
        phase = windows.frame_targets["phase"][:]
        counts = torch.bincount(phase[phase >= 0], minlength=len(self.class_names)).tolist()
        labelled = windows.window_targets["form_labelled"]
        scores = windows.window_targets["form_score"][labelled]
        flags = windows.window_targets["issues"][labelled]
        return {
            "phase_frames": dict(zip(self.class_names, counts, strict=True)),
            "unlabelled_phase_frames": int((phase < 0).sum()),
            "windows_with_form_label": int(labelled.sum()),
            "form_score_mean": round(float(scores.mean()), 3) if len(scores) else None,
            "issue_window_share": {
                name: round(float((flags[:, i] >= 0.5).float().mean()), 4) if len(flags) else None
                for i, name in enumerate(self.issue_names)
            },
        }

    def on_after_batch_transfer(self, batch: dict[str, Tensor], dataloader_idx: int) -> dict[str, Tensor]:
        batch = super().on_after_batch_transfer(batch, dataloader_idx)
        if self.trainer is not None and self.trainer.training and self.skeleton_augment.active:
            batch = {**batch, "x": self.skeleton_augment(batch["x"])}
        return batch


def _concatenated(windows: WindowSet, key: str) -> Tensor:
    """A per-frame recording target of the whole split, aligned with ``windows.frames``."""
    return torch.from_numpy(np.concatenate([r.targets[key] for r in windows.recordings]))
