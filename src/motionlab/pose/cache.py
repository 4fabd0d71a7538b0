"""Landmarks per video, extracted once: a cache keyed by the video's content and the extractor settings.

The key is ``sha256(video bytes)`` combined with the settings that change the result (the model
bundle's own content hash, the confidence thresholds, the extractor version), so renaming or moving
a video keeps its cache entry, while editing the video or changing any setting extracts again.
Entries are ``.npz`` files written atomically, safe to share between runs and processes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from rich.progress import Progress

from motionlab.errors import DataFormatError
from motionlab.files import atomic_output
from motionlab.pose.extractor import ExtractorSettings, PoseExtractor, PoseSequence

log = logging.getLogger(__name__)

# Bump when the extraction itself changes (frame decoding, landmark conversion): old entries then miss.
EXTRACTOR_VERSION = 1


def file_digest(path: str | Path) -> str:
    """Hex SHA-256 of a file's content, read in chunks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@cache
def _model_digest(path: str, size: int, mtime_ns: int) -> str:
    return file_digest(path)


def settings_digest(settings: ExtractorSettings) -> str:
    """Hash of everything in ``settings`` that changes the landmarks (the model by content, not path)."""
    model = Path(settings.model_path)
    if not model.is_file():
        raise FileNotFoundError(
            f"{model}: pose landmarker model bundle not found — build it with `make pose-model`, or "
            "point the model_path setting at a pose landmarker .task file"
        )
    stat = model.stat()
    fields = {**settings.to_dict(), "model_path": _model_digest(str(model), stat.st_size, stat.st_mtime_ns)}
    manifest = json.dumps({"version": EXTRACTOR_VERSION, **fields}, sort_keys=True)
    return hashlib.sha256(manifest.encode()).hexdigest()


class LandmarkCache:
    """``<directory>/<video hash>-<settings hash>.npz`` entries holding one `PoseSequence` each."""

    def __init__(self, directory: str | Path, settings: ExtractorSettings) -> None:
        self.directory = Path(directory)
        self.settings = settings
        self._settings_digest = settings_digest(settings)[:12]

    def path(self, video: str | Path) -> Path:
        """Where the landmarks of ``video`` (an existing file) are cached."""
        return self.directory / f"{file_digest(video)[:24]}-{self._settings_digest}.npz"

    def load(self, entry: Path) -> PoseSequence | None:
        """The cached sequence, or ``None`` when absent or unreadable (then it is extracted again)."""
        if not entry.is_file():
            return None
        try:
            with np.load(entry, allow_pickle=False) as data:
                return PoseSequence(
                    data["landmarks"], float(data["fps"]), int(data["width"]), int(data["height"])
                )
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("ignoring unreadable landmark cache entry %s (%s)", entry, exc)
            return None

    def save(self, entry: Path, pose: PoseSequence, source: str | Path) -> None:
        with atomic_output(entry) as temporary, open(temporary, "wb") as handle:
            np.savez_compressed(
                handle,
                landmarks=pose.landmarks.astype(np.float32),
                fps=np.float64(pose.fps),
                width=np.int64(pose.width),
                height=np.int64(pose.height),
                source=np.asarray(str(source)),
            )


@dataclass
class ExtractionReport:
    """What `extract_videos` did: which videos were extracted, read from cache, or failed (and why)."""

    extracted: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def extract_videos(
    videos: Sequence[str | Path],
    settings: ExtractorSettings,
    cache_dir: str | Path,
    progress: bool = True,
) -> tuple[dict[Path, PoseSequence], ExtractionReport]:
    """Landmarks of every video, from the cache where possible, with a progress bar over videos.

    A video that cannot be read does not stop the others: its error (naming the file) is logged and
    recorded in the report's ``failed``, and it is missing from the returned mapping. The MediaPipe
    extractor is only created when some video is not cached yet.
    """
    cache = LandmarkCache(cache_dir, settings)
    report = ExtractionReport()
    poses: dict[Path, PoseSequence] = {}
    extractor = _LazyExtractor(settings)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("pose landmarks", total=len(videos))
        for video in map(Path, videos):
            bar.update(task, description=f"pose landmarks: {video.name}")
            try:
                pose, cached = _cached_or_extracted(video, cache, extractor)
            except DataFormatError as error:
                log.error("skipping %s", error)
                report.failed[str(video)] = str(error)
            else:
                poses[video] = pose
                (report.cached if cached else report.extracted).append(str(video))
            bar.advance(task)
    return poses, report


class _LazyExtractor:
    """Creates the MediaPipe extractor on first use, so a fully cached run never loads MediaPipe."""

    def __init__(self, settings: ExtractorSettings) -> None:
        self.settings = settings
        self._extractor: PoseExtractor | None = None

    def extract(self, video: Path) -> PoseSequence:
        self._extractor = self._extractor or PoseExtractor(self.settings)
        return self._extractor.extract(video)


def _cached_or_extracted(
    video: Path, cache: LandmarkCache, extractor: _LazyExtractor
) -> tuple[PoseSequence, bool]:
    if not video.is_file():
        raise DataFormatError(video, "no such video file")
    entry = cache.path(video)
    pose = cache.load(entry)
    if pose is not None:
        return pose, True
    pose = extractor.extract(video)
    cache.save(entry, pose, video)
    return pose, False
