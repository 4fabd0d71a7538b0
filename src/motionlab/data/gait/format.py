"""A gait dataset on disk: videos or landmark files, each with a ``<stem>.gait.json`` annotation.

.. code-block:: text

    my_runs/
      anna_treadmill.mp4      anna_treadmill.gait.json
      ben_track.avi           ben_track.gait.json
      carla_01.npz            carla_01.gait.json        (pre-extracted landmarks: motionlab.pose.files)

Folders are searched recursively. Videos (`VIDEO_SUFFIXES`) go through the pose extractor and its
cache; landmark files (``.npy``, ``.npz``, ``.csv``) are read as they are. A media file without an
annotation is skipped and reported; an annotation without exactly one media file is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motionlab.data.gait.annotations import ANNOTATION_SUFFIX, GaitAnnotation
from motionlab.data.recording import Recording
from motionlab.errors import DataFormatError
from motionlab.pose.extractor import VIDEO_SUFFIXES
from motionlab.pose.files import LANDMARK_SUFFIXES
from motionlab.pose.landmarks import feature_names, landmarks_to_features

MEDIA_SUFFIXES: tuple[str, ...] = VIDEO_SUFFIXES + LANDMARK_SUFFIXES
# Frame rates of a video and its annotation may differ by this much (containers round them).
_FPS_TOLERANCE = 0.01


@dataclass(frozen=True)
class GaitItem:
    """One annotated recording: its media file (video or landmarks) and annotation file."""

    name: str
    media: Path
    annotation: Path

    @property
    def is_video(self) -> bool:
        return self.media.suffix.lower() in VIDEO_SUFFIXES


def find_gait_items(path: str | Path) -> tuple[list[GaitItem], list[Path]]:
    """Annotated recordings under ``path`` (a folder, or one media file) and media without annotation."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such gait data folder or file")
    if path.is_file():
        annotation = path.with_name(path.stem + ANNOTATION_SUFFIX)
        if path.suffix.lower() not in MEDIA_SUFFIXES:
            raise DataFormatError(
                path, "is not a video or landmark file", f"use one of {list(MEDIA_SUFFIXES)}"
            )
        if not annotation.is_file():
            raise DataFormatError(
                path, f"has no annotation {annotation.name} beside it", "write one (docs/formats/gait.md)"
            )
        return [GaitItem(path.stem, path, annotation)], []
    annotations = sorted(path.rglob(f"*{ANNOTATION_SUFFIX}"))
    media = sorted(p for p in path.rglob("*") if p.suffix.lower() in MEDIA_SUFFIXES and p.is_file())
    by_stem: dict[Path, list[Path]] = {}
    for file in media:
        by_stem.setdefault(file.with_suffix(""), []).append(file)
    items = []
    for annotation in annotations:
        stem = annotation.with_name(annotation.name[: -len(ANNOTATION_SUFFIX)])
        matches = by_stem.pop(stem, [])
        if len(matches) != 1:
            raise DataFormatError(
                annotation,
                f"annotates {len(matches)} media files ({[m.name for m in matches]})",
                f"keep exactly one video ({', '.join(VIDEO_SUFFIXES)}) or landmark file "
                f"({', '.join(LANDMARK_SUFFIXES)}) named {stem.name}.<ext> beside it",
            )
        items.append(GaitItem(stem.relative_to(path).as_posix(), matches[0], annotation))
    if not items:
        raise DataFormatError(
            path,
            f"no annotated recordings: {len(media)} video/landmark file(s), "
            f"no *{ANNOTATION_SUFFIX} annotations",
            f"add a <stem>{ANNOTATION_SUFFIX} per video (docs/formats/gait.md)",
        )
    unannotated = sorted(file for files in by_stem.values() for file in files)
    return items, unannotated


def gait_recording(
    item: GaitItem,
    landmarks: np.ndarray,
    fps: float | None,
    annotation: GaitAnnotation,
    phases: Sequence[str],
    issues: Sequence[str],
) -> Recording:
    """The recording of one item: ``[T, 132]`` landmark features and per-frame gait targets.

    ``fps`` is the media's own frame rate (``None`` when it has none, e.g. a ``.npy`` file); the
    annotation's ``fps``, when given, must agree with it.
    """
    annotation.check_frames(item.annotation, len(landmarks))
    if fps is not None and annotation.fps is not None and abs(fps - annotation.fps) > _FPS_TOLERANCE * fps:
        raise DataFormatError(
            item.annotation,
            f"fps {annotation.fps} differs from the {fps:g} fps of {item.media.name}",
            "fix or remove the fps field",
        )
    fps = fps if fps is not None else annotation.fps
    if fps is None:
        raise DataFormatError(
            item.annotation, f"no frame rate known for {item.media.name}", 'add "fps" to the annotation'
        )
    return Recording(
        name=item.name,
        frames=landmarks_to_features(landmarks).copy(),
        feature_names=feature_names(),
        fps=fps,
        group=annotation.runner,
        source=str(item.media),
        targets=annotation.frame_targets(len(landmarks), phases, issues),
        meta={"runner": annotation.runner, "annotation": str(item.annotation)},
    )
