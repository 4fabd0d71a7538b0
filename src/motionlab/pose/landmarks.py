"""The MediaPipe pose layout: 33 landmarks × (x, y, z, visibility) = 132 features per frame.

Coordinates are MediaPipe's normalised image coordinates, as the pose landmarker reports them:

* ``x``, ``y``: position in the image as a fraction of its width and height, ``(0, 0)`` top left,
  ``y`` pointing down; they may leave ``[0, 1]`` for landmarks outside the frame;
* ``z``: depth relative to the hip midpoint, smaller is closer to the camera, on roughly the scale of
  ``x``;
* ``visibility``: probability in ``[0, 1]`` that the landmark is visible (not occluded).

A frame without a detected pose is a row of NaN. Features are ordered landmark-major, so
``landmarks.reshape(T, 132)`` gives the feature matrix and ``feature_names()[4 * i + c]`` names
landmark ``i``, coordinate ``c`` (e.g. ``left_knee_x``).

A horizontal flip of the video swaps every left/right landmark pair (`MIRROR_PAIRS`) and maps
``x`` to ``1 - x``; ``y``, ``z`` and visibility stay.
"""

from __future__ import annotations

import numpy as np

POSE_LANDMARKS: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
COORDINATES: tuple[str, ...] = ("x", "y", "z", "visibility")
NUM_LANDMARKS = len(POSE_LANDMARKS)
NUM_FEATURES = NUM_LANDMARKS * len(COORDINATES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(POSE_LANDMARKS)}

#: Left/right landmark pairs, by index: a horizontal flip swaps each pair.
MIRROR_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (INDEX[name], INDEX[name.replace("left", "right")]) for name in POSE_LANDMARKS if "left" in name
)

#: Bones of the skeleton (landmark index pairs), for drawing.
SKELETON_EDGES: tuple[tuple[int, int], ...] = tuple(
    (INDEX[a], INDEX[b])
    for a, b in (
        ("left_shoulder", "right_shoulder"),
        ("left_hip", "right_hip"),
        *(
            (f"{side}_{a}", f"{side}_{b}")
            for side in ("left", "right")
            for a, b in (
                ("shoulder", "hip"),
                ("shoulder", "elbow"),
                ("elbow", "wrist"),
                ("wrist", "pinky"),
                ("wrist", "index"),
                ("wrist", "thumb"),
                ("hip", "knee"),
                ("knee", "ankle"),
                ("ankle", "heel"),
                ("heel", "foot_index"),
                ("ankle", "foot_index"),
                ("eye", "ear"),
            )
        ),
        ("nose", "left_eye"),
        ("nose", "right_eye"),
        ("mouth_left", "mouth_right"),
    )
)


def feature_names() -> list[str]:
    """The 132 feature names, landmark-major: ``nose_x, nose_y, nose_z, nose_visibility, ...``."""
    return [f"{landmark}_{coordinate}" for landmark in POSE_LANDMARKS for coordinate in COORDINATES]


def landmarks_to_features(landmarks: np.ndarray) -> np.ndarray:
    """``[T, 33, 4]`` landmarks → ``[T, 132]`` float32 features (a view when already float32)."""
    if landmarks.ndim != 3 or landmarks.shape[1:] != (NUM_LANDMARKS, len(COORDINATES)):
        raise ValueError(f"expected landmarks of shape [T, 33, 4], got {landmarks.shape}")
    return np.ascontiguousarray(landmarks, dtype=np.float32).reshape(len(landmarks), NUM_FEATURES)


def mirror_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """The landmarks of the horizontally flipped video: ``[..., 33, 4]`` → same shape."""
    order = np.arange(NUM_LANDMARKS)
    for left, right in MIRROR_PAIRS:
        order[left], order[right] = right, left
    mirrored = landmarks[..., order, :].copy()
    mirrored[..., 0] = 1.0 - mirrored[..., 0]
    return mirrored


def pose_detected(landmarks: np.ndarray) -> np.ndarray:
    """``[T]`` bool: frames where a pose was detected (no NaN)."""
    return ~np.isnan(landmarks.reshape(len(landmarks), -1)).any(axis=1)
