"""Split stores: one split's frames and per-frame targets as memory-mapped ``.npy`` files on disk.

A store holds exactly what an in-memory `WindowSet` holds — the split's recordings end to end in
``frames.npy [N, F]`` plus one ``target-<name>.npy [N, ...]`` per per-frame target — so windows
index it the same way; ``recording-<name>.npy`` holds the readers' per-frame targets
(`Recording.targets`), which the recordings then view instead of holding them in memory.

Its directory is named by a hash of its content (every recording's name, group, frames and
targets, see `recording_digest`): a changed dataset, gap policy or target setting gives another
directory, and an unchanged one is written once and reused by every later run. A store is written
into a temporary sibling and renamed into place, so readers never see half of one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motionlab.data.mapped import MappedArray, NpyAppender
from motionlab.data.recording import Recording
from motionlab.files import move_into_place

# Bump when the layout of a store changes: old stores then miss and are written again.
STORE_VERSION = 1
FRAMES_FILE = "frames.npy"
TARGET_PREFIX = "target-"  # per-frame targets that are windowed (MotionDataModule.frame_targets)
RECORDING_PREFIX = "recording-"  # the reader's per-frame targets (Recording.targets)


def recording_digest(recording: Recording, frame_targets: Mapping[str, np.ndarray]) -> str:
    """Hex SHA-256 of everything a recording puts into a store: its name, group, features, frame
    rate, frames, per-frame targets and the reader's per-frame targets (names, dtypes, shapes, bytes)."""
    digest = hashlib.sha256()
    header = [recording.name, recording.group, list(recording.feature_names), float(recording.fps)]
    digest.update(json.dumps(header).encode())
    arrays = [
        ("frames", recording.frames),
        *sorted((_target_file(k), v) for k, v in frame_targets.items()),
        *sorted((_recording_file(k), v) for k, v in recording.targets.items()),
    ]
    for name, values in arrays:
        values = np.ascontiguousarray(values)
        digest.update(json.dumps([name, values.dtype.str, list(values.shape)]).encode())
        digest.update(values.data)
    return digest.hexdigest()


def store_directory(root: str | Path, digests: Sequence[str]) -> Path:
    """Where the store of the recordings with these digests (in this order) lives under ``root``."""
    manifest = json.dumps({"version": STORE_VERSION, "recordings": list(digests)})
    return Path(root) / f"split-{hashlib.sha256(manifest.encode()).hexdigest()[:24]}"


@dataclass
class SplitStore:
    """A store's arrays, memory-mapped on first use: the frames, the per-frame targets that are
    windowed (``frame_targets``) and the readers' per-frame targets (``recording_targets``)."""

    frames: MappedArray
    frame_targets: dict[str, MappedArray]
    recording_targets: dict[str, MappedArray]

    @classmethod
    def open(cls, directory: str | Path) -> SplitStore:
        directory = Path(directory)

        def arrays(prefix: str) -> dict[str, MappedArray]:
            files = sorted(directory.glob(f"{prefix}*.npy"))
            return {file.stem.removeprefix(prefix): MappedArray(file) for file in files}

        return cls(MappedArray(directory / FRAMES_FILE), arrays(TARGET_PREFIX), arrays(RECORDING_PREFIX))


class SplitStoreWriter:
    """Streams recordings, one at a time, into a new store; `commit` moves it into place.

    Args:
        directory: the store's final directory (see `store_directory`).
        example, frame_targets: the first recording and its per-frame targets (the arrays' dtypes
            and trailing shapes are taken from them).
    """

    def __init__(
        self, directory: str | Path, example: Recording, frame_targets: Mapping[str, np.ndarray]
    ) -> None:
        self.directory = Path(directory)
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(dir=self.directory.parent, prefix=f".{self.directory.name}.tmp-"))
        self._frames = NpyAppender(self._tmp / FRAMES_FILE, np.float32, example.frames.shape[1:])
        self._frame_targets = self._appenders(frame_targets, _target_file)
        self._recording_targets = self._appenders(example.targets, _recording_file)

    def _appenders(
        self, arrays: Mapping[str, np.ndarray], file: Callable[[str], str]
    ) -> dict[str, NpyAppender]:
        return {name: NpyAppender(self._tmp / file(name), v.dtype, v.shape[1:]) for name, v in arrays.items()}

    def append(self, recording: Recording, frame_targets: Mapping[str, np.ndarray]) -> None:
        self.append_rows(recording.frames, frame_targets, recording.targets)

    def append_rows(
        self,
        frames: np.ndarray,
        frame_targets: Mapping[str, np.ndarray],
        recording_targets: Mapping[str, np.ndarray],
    ) -> None:
        """Append one recording's rows: its frames, per-frame targets and reader's per-frame targets."""
        self._frames.append(frames)
        for name, appender in self._frame_targets.items():
            appender.append(frame_targets[name])
        for name, appender in self._recording_targets.items():
            appender.append(recording_targets[name])

    def _appenders_all(self) -> list[NpyAppender]:
        return [self._frames, *self._frame_targets.values(), *self._recording_targets.values()]

    def commit(self) -> Path:
        """Close the files and rename the store into place (a store already there is kept)."""
        for appender in self._appenders_all():
            appender.close()
        try:
            move_into_place(self._tmp, self.directory)
        except OSError:
            if not self.directory.is_dir():
                raise
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)
        return self.directory

    def discard(self) -> None:
        """Drop the unfinished store (after an error while writing it)."""
        for appender in self._appenders_all():
            appender.close()
        shutil.rmtree(self._tmp, ignore_errors=True)


def _target_file(name: str) -> str:
    return f"{TARGET_PREFIX}{name}.npy"


def _recording_file(name: str) -> str:
    return f"{RECORDING_PREFIX}{name}.npy"
