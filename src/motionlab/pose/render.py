"""Draws pose landmarks as a filled stick figure and writes them as a video (OpenCV, ``video`` extra).

The figure is drawn thick enough (torso polygon, limbs, head) for MediaPipe's person detector to find
it, so rendered landmark sequences make small, real test videos for the extraction path. A NaN frame
is drawn empty: no person, as in a video where the runner leaves the picture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motionlab.pose.landmarks import INDEX, SKELETON_EDGES

_BACKGROUND = (232, 236, 240)  # BGR
_BODY = (50, 40, 35)
_HEAD = (140, 165, 205)
_TORSO = [INDEX[n] for n in ("left_shoulder", "right_shoulder", "right_hip", "left_hip")]
_HEAD_POINTS = [INDEX[n] for n in ("nose", "left_ear", "right_ear")]
_FOURCC = {".mp4": "mp4v", ".avi": "MJPG"}


def draw_pose(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """One BGR ``uint8 [height, width, 3]`` frame showing the pose ``landmarks [33, 4]``."""
    import cv2

    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = _BACKGROUND
    if np.isnan(landmarks).any():
        return image
    points = landmarks[:, :2] * [width, height]
    torso = np.linalg.norm(points[_TORSO[:2]].mean(0) - points[_TORSO[2:]].mean(0))
    limb = max(2, round(0.16 * torso))
    cv2.fillConvexPoly(image, np.round(points[_TORSO]).astype(np.int32), _BODY, cv2.LINE_AA)
    for a, b in SKELETON_EDGES:
        start, end = (tuple(int(v) for v in np.round(points[i])) for i in (a, b))
        cv2.line(image, start, end, _BODY, limb, cv2.LINE_AA)
    centre = tuple(int(v) for v in np.round(points[_HEAD_POINTS].mean(0)))
    cv2.circle(image, centre, max(3, round(0.22 * torso)), _HEAD, -1, cv2.LINE_AA)
    return image


def render_pose_video(path: str | Path, landmarks: np.ndarray, fps: float, width: int, height: int) -> Path:
    """Write ``landmarks [T, 33, 4]`` as a stick-figure video (``.mp4`` or ``.avi``) at ``fps``."""
    import cv2

    path = Path(path)
    if path.suffix not in _FOURCC:
        raise ValueError(f"{path}: render to one of {sorted(_FOURCC)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*_FOURCC[path.suffix]), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"{path}: OpenCV cannot write {path.suffix} video here")
    try:
        for frame in landmarks:
            writer.write(draw_pose(frame, width, height))
    finally:
        writer.release()
    return path
