"""Pose landmarks from video: the 33-landmark layout, the MediaPipe extractor, its model bundle and
the per-video landmark cache.

Shared by every pipeline that starts from video (gait, workouts). Only `landmarks` is imported here:
the extractor, bundle builder and renderer need the optional ``video`` extra (MediaPipe, OpenCV) and
import it lazily, so the core install never needs them.
"""

from motionlab.pose.landmarks import (
    COORDINATES,
    NUM_FEATURES,
    NUM_LANDMARKS,
    POSE_LANDMARKS,
    feature_names,
    landmarks_to_features,
)

__all__ = [
    "COORDINATES",
    "NUM_FEATURES",
    "NUM_LANDMARKS",
    "POSE_LANDMARKS",
    "feature_names",
    "landmarks_to_features",
]
