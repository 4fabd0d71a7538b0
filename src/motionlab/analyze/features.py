"""What a model reads from a video: its features on its own time grid, and how well the pose was seen."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motionlab.pose.angles import ANGLE_NAMES, MIN_VISIBILITY, angles_from_pose
from motionlab.pose.extractor import PoseSequence
from motionlab.pose.landmarks import INDEX, MIRROR_PAIRS, feature_names, landmarks_to_features
from motionlab.pose.resample import resample_frames

# Each body part counts once: a left/right pair by its better-seen side (filmed from the side, the far
# arm is hidden though the body is seen well), a landmark without a twin by itself.
_UNPAIRED = sorted(set(INDEX.values()) - {i for pair in MIRROR_PAIRS for i in pair})


class UnsupportedModelError(ValueError):
    """The model's features cannot be computed from a video."""


@dataclass(frozen=True)
class PoseQuality:
    """How well the person was seen: share of frames with a pose, and mean visibility of the body's
    parts in them (each left/right pair by its better-seen side)."""

    detected_share: float
    visibility: float


def pose_quality(pose: PoseSequence) -> PoseQuality:
    detected = pose.detected
    if not detected.any():
        return PoseQuality(0.0, 0.0)
    visibility = pose.landmarks[detected, :, 3]
    pairs = np.array(MIRROR_PAIRS)
    parts = np.concatenate([visibility[:, pairs].max(axis=2), visibility[:, _UNPAIRED]], axis=1)
    return PoseQuality(float(detected.mean()), float(parts.mean()))


def model_features(
    pose: PoseSequence, names: list[str], fps: float, min_visibility: float = MIN_VISIBILITY
) -> np.ndarray:
    """The video's features ``[T, len(names)]`` in the model's column order, at the model's ``fps``
    (NaN rows: no usable pose): the 132 landmark features (gait) or joint angles (workouts)."""
    if names == feature_names():
        return landmarks_to_features(resample_frames(pose.landmarks, pose.fps, fps))
    unknown = [name for name in names if name not in ANGLE_NAMES]
    if not unknown:
        return angles_from_pose(pose, fps, names, min_visibility)
    raise UnsupportedModelError(
        f"the model reads features that cannot be computed from video: {unknown[:5]}; the analyzer "
        "supports models on the 132 pose landmark features or on the joint angles of motionlab.pose.angles"
    )
