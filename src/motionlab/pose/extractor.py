"""MediaPipe pose landmarker in VIDEO mode: a video (or frames) in, ``[T, 33, 4]`` landmarks out.

Needs the optional ``video`` extra (``pip install -e .[video]``: MediaPipe and OpenCV), imported
only when an extractor is created. A frame in which no pose is found is a row of NaN; the data
engine interpolates short runs of them and cuts recordings at long ones.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.errors import DataFormatError
from motionlab.pose.landmarks import COORDINATES, NUM_LANDMARKS, pose_detected

VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
_REENCODE = (
    "check that the file plays in a video player; re-encode it (e.g. ffmpeg -i in -c:v libx264 out.mp4)"
)


@dataclass(frozen=True)
class ExtractorSettings:
    """Everything that changes the extracted landmarks (and so is part of the cache key).

    Attributes:
        model_path: the pose landmarker ``.task`` bundle (``make pose-model`` builds one offline;
            the official ``pose_landmarker_full.task`` works too).
        min_detection_confidence: minimum score of the person detector.
        min_presence_confidence: minimum pose presence score of the landmark model.
        min_tracking_confidence: minimum score to keep tracking the pose from the previous frame
            instead of running the detector again.
    """

    model_path: str
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PoseSequence:
    """The landmarks of one video: ``landmarks [T, 33, 4]`` float32 (NaN rows: no pose) and the
    video's frame rate and size."""

    landmarks: np.ndarray
    fps: float
    width: int
    height: int

    @property
    def detected(self) -> np.ndarray:
        """``[T]`` bool: frames with a pose."""
        return pose_detected(self.landmarks)


def require_video_extra() -> None:
    """Raise an ImportError that says how to install MediaPipe and OpenCV when they are missing."""
    try:
        import cv2  # noqa: F401
        import mediapipe  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"pose extraction from video needs MediaPipe and OpenCV ({exc}): install the optional "
            "extra with `pip install -e .[video]`"
        ) from exc


class PoseExtractor:
    """Runs MediaPipe's ``PoseLandmarker`` (one pose, VIDEO mode: tracking between frames).

    A fresh landmarker is created per video because VIDEO mode needs increasing timestamps.
    """

    def __init__(self, settings: ExtractorSettings) -> None:
        require_video_extra()
        if not Path(settings.model_path).is_file():
            raise FileNotFoundError(
                f"{settings.model_path}: pose landmarker model bundle not found — build it with "
                "`make pose-model`, or point the model_path setting at a pose landmarker .task file"
            )
        self.settings = settings

    def extract(self, path: str | Path) -> PoseSequence:
        """Landmarks of every frame of the video at ``path``.

        Raises `DataFormatError` naming the file when it cannot be opened or decoded.
        """
        path = Path(path)
        if not path.is_file():
            raise DataFormatError(path, "no such video file")
        fps, width, height = _video_properties(path)
        landmarks = self.extract_frames(_read_frames(path), fps)
        if len(landmarks) == 0:
            raise DataFormatError(path, "no frame could be decoded", _REENCODE)
        return PoseSequence(landmarks, fps, width, height)

    def extract_frames(self, frames: Iterable[np.ndarray], fps: float) -> np.ndarray:
        """Landmarks ``[T, 33, 4]`` of RGB ``uint8 [H, W, 3]`` frames shown at ``fps``."""
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.settings.model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=self.settings.min_detection_confidence,
            min_pose_presence_confidence=self.settings.min_presence_confidence,
            min_tracking_confidence=self.settings.min_tracking_confidence,
        )
        ignore_profiling_signals()
        rows = []
        with vision.PoseLandmarker.create_from_options(options) as landmarker:
            for index, frame in enumerate(frames):
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
                result = landmarker.detect_for_video(image, round(index * 1000 / fps))
                rows.append(_as_array(result.pose_landmarks[0]) if result.pose_landmarks else _NO_POSE)
        if not rows:
            return np.zeros((0, NUM_LANDMARKS, len(COORDINATES)), dtype=np.float32)
        return np.stack(rows)


def ignore_profiling_signals() -> None:
    """Ignore SIGPROF unless a handler is installed. In a process that has already trained and
    exported models, MediaPipe's graph threads can start per-thread CPU-time timers that raise
    SIGPROF (measured here: 10 ms timers from the landmarker's threads); with the default action the
    signal kills the whole process mid-extraction."""
    if signal.getsignal(signal.SIGPROF) == signal.SIG_DFL:
        signal.signal(signal.SIGPROF, signal.SIG_IGN)


_NO_POSE = np.full((NUM_LANDMARKS, len(COORDINATES)), np.nan, dtype=np.float32)


def _as_array(pose: list) -> np.ndarray:
    return np.array([(p.x, p.y, p.z, p.visibility) for p in pose], dtype=np.float32)


def _video_properties(path: Path) -> tuple[float, int, int]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise DataFormatError(
                path, "cannot be opened as a video (unknown or corrupt container)", _REENCODE
            )
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        capture.release()
    if not np.isfinite(fps) or fps <= 0:
        raise DataFormatError(path, f"the video reports no usable frame rate ({fps})", _REENCODE)
    return fps, width, height


def _read_frames(path: Path) -> Iterator[np.ndarray]:
    """Decoded RGB frames, in order, until the decoder stops."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()
