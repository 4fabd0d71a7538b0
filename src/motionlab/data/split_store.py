"""Split stores: one split's frames and per-frame targets as memory-mapped ``.npy`` files on disk.

A store holds exactly what an in-memory `WindowSet` holds — the split's recordings end to end in
``frames.npy [N, F]`` plus one ``target-<name>.npy [N, ...]`` per per-frame target — so windows
index it the same way. Its directory is named by a hash of its content (every recording's name,
group, frames and targets, see `recording_digest`): a changed dataset, gap policy or target setting
gives another directory, and an unchanged one is written once and reused by every later run.
A store is written into a temporary sibling and renamed into place, so readers never see half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motionlab.data.mapped import MappedArray, NpyAppender
from motionlab.data.recording import Recording

# Bump when the layout of a store changes: old stores then miss and are written again.
STORE_VERSION = 1
FRAMES_FILE = "frames.npy"


def recording_digest(recording: Recording, frame_targets: Mapping[str, np.ndarray]) -> str:
    """Hex SHA-256 of everything a recording puts into a store: its name, group, features, frame
    rate, frames and per-frame targets (names, dtypes, shapes and bytes)."""
    digest = hashlib.sha256()
    header = [recording.name, recording.group, list(recording.feature_names), float(recording.fps)]
    digest.update(json.dumps(header).encode())
    for name, values in [("frames", recording.frames), *sorted(frame_targets.items())]:
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
    """A store's arrays, memory-mapped on first use."""

    frames: MappedArray
    frame_targets: dict[str, MappedArray]

    @classmethod
    def open(cls, directory: str | Path, target_names: Sequence[str]) -> SplitStore:
        directory = Path(directory)
        return cls(
            MappedArray(directory / FRAMES_FILE),
            {name: MappedArray(directory / _target_file(name)) for name in target_names},
        )


class SplitStoreWriter:
    """Streams recordings, one at a time, into a new store; `commit` moves it into place.

    Args:
        directory: the store's final directory (see `store_directory`).
        num_features: columns of the frames.
        targets: per-frame target name → an example array (its dtype and trailing shape are used).
    """

    def __init__(self, directory: str | Path, num_features: int, targets: Mapping[str, np.ndarray]) -> None:
        self.directory = Path(directory)
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(dir=self.directory.parent, prefix=f".{self.directory.name}.tmp-"))
        self._frames = NpyAppender(self._tmp / FRAMES_FILE, np.float32, (num_features,))
        self._targets = {
            name: NpyAppender(self._tmp / _target_file(name), example.dtype, example.shape[1:])
            for name, example in targets.items()
        }

    def append(self, frames: np.ndarray, frame_targets: Mapping[str, np.ndarray]) -> None:
        self._frames.append(frames)
        for name, appender in self._targets.items():
            appender.append(frame_targets[name])

    def commit(self) -> Path:
        """Close the files and rename the store into place (a store already there is kept)."""
        for appender in (self._frames, *self._targets.values()):
            appender.close()
        try:
            os.rename(self._tmp, self.directory)
        except OSError:
            if not self.directory.is_dir():
                raise
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)
        return self.directory

    def discard(self) -> None:
        """Drop the unfinished store (after an error while writing it)."""
        for appender in (self._frames, *self._targets.values()):
            appender.close()
        shutil.rmtree(self._tmp, ignore_errors=True)


def _target_file(name: str) -> str:
    return f"target-{name}.npy"
