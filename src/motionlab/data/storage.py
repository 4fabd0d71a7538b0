"""Where a dataset's frames and per-frame targets live while the engine splits and windows them.

`MotionDataModule.setup` reads every recording once and hands each one, as it is read, to a storage
backend; the backend then answers the window sets of every recording (for the split's window
counts) and, once the split is known (`Storage.divide`), of each split:

- `MemoryStorage` keeps the arrays in memory; a split's window set concatenates its recordings'.
- `MappedStorage` (``data.memory_map``) streams each recording into a spool on disk as it is read,
  hashing it on the way, and keeps only its shape in memory (memory stays bounded by one recording).
  On `divide` each split's content-addressed store (see `split_store`) is opened — or, when no store
  with that content exists yet, copied out of the spool — and the recordings become views of it.

Either way the window sets, batches and statistics are the same; every input is read once.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.data.recording import Recording
from motionlab.data.split_store import SplitStore, SplitStoreWriter, recording_digest, store_directory
from motionlab.data.windows import WindowSet, build_window_set

log = logging.getLogger(__name__)

#: the part that holds every recording, in reading order, until the storage is divided into splits
EVERY_RECORDING = "all"


class Storage:
    """A backend: `add` each recording as it is read, ask for window sets, `divide` into splits,
    `close` when done (`close` also runs when setup fails)."""

    def __init__(self) -> None:
        self.recordings: list[Recording] = []
        self.members: dict[str, list[int]] = {}

    def add(self, recording: Recording, frame_targets: dict[str, np.ndarray]) -> None:
        """Take in one recording (gap-filled, long enough) and its per-frame targets."""
        raise NotImplementedError

    def divide(self, members: Mapping[str, Sequence[int]]) -> None:
        """From now on the parts are ``members``' (split → positions of its recordings)."""
        self.members = {part: list(chosen) for part, chosen in members.items()}

    def window_set(
        self, part: str, window: int, stride: int, pure_target: str | None, with_frames: bool = True
    ) -> WindowSet:
        """Every window of ``part``'s recordings (`EVERY_RECORDING` until `divide`)."""
        raise NotImplementedError

    def close(self) -> None:
        """Drop what only served the reading (see `MappedStorage`)."""

    def _chosen(self, part: str) -> list[int]:
        if part == EVERY_RECORDING and not self.members:
            return list(range(len(self.recordings)))
        return self.members[part]

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *error: Any) -> None:
        self.close()


class MemoryStorage(Storage):
    """The recordings keep their arrays in memory."""

    def __init__(self) -> None:
        super().__init__()
        self._frame_targets: list[dict[str, np.ndarray]] = []

    def add(self, recording: Recording, frame_targets: dict[str, np.ndarray]) -> None:
        self.recordings.append(recording)
        self._frame_targets.append(frame_targets)

    def window_set(
        self, part: str, window: int, stride: int, pure_target: str | None, with_frames: bool = True
    ) -> WindowSet:
        chosen = self._chosen(part)
        return build_window_set(
            [self.recordings[i] for i in chosen],
            window,
            stride,
            [self._frame_targets[i] for i in chosen],
            pure_target,
            with_frames=with_frames,
        )


class MappedStorage(Storage):
    """The arrays live in memory-mapped stores under ``root``: a spool of every recording while the
    data is read, then one store per split (see the module docstring)."""

    def __init__(self, root: str | Path) -> None:
        super().__init__()
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._spool_dir = Path(tempfile.mkdtemp(dir=self.root, prefix=".reading-"))
        self._writer: SplitStoreWriter | None = None
        self._digests: list[str] = []
        self._offsets = [0]
        self._stores: dict[str, SplitStore] = {}

    def add(self, recording: Recording, frame_targets: dict[str, np.ndarray]) -> None:
        self._digests.append(recording_digest(recording, frame_targets))
        if self._writer is None:
            self._writer = SplitStoreWriter(self._spool_dir / "spool", recording, frame_targets)
        self._writer.append(recording, frame_targets)
        self._offsets.append(self._offsets[-1] + len(recording))
        recording.frames = _placeholder(recording.frames)
        recording.targets = {key: _placeholder(values) for key, values in recording.targets.items()}
        self.recordings.append(recording)

    def _spool(self) -> SplitStore:
        """The spool, closed and mapped, on the first question after reading; the recordings become
        views of it."""
        if EVERY_RECORDING not in self._stores:
            if self._writer is None:
                raise RuntimeError("no recording was added to the storage")
            spool = self._stores[EVERY_RECORDING] = SplitStore.open(self._writer.commit())
            self._view(spool, range(len(self.recordings)))
        return self._stores[EVERY_RECORDING]

    def divide(self, members: Mapping[str, Sequence[int]]) -> None:
        spool = self._spool()
        super().divide(members)
        for part, chosen in self.members.items():
            if not chosen:
                continue
            directory = store_directory(self.root, [self._digests[i] for i in chosen])
            if not directory.is_dir():
                self._copy(spool, chosen, directory)
                log.info("wrote the memory-mapped %s split to %s", part, directory)
            store = self._stores[part] = SplitStore.open(directory)
            self._view(store, chosen)

    def _copy(self, spool: SplitStore, chosen: list[int], directory: Path) -> None:
        """Write the store of the recordings ``chosen`` from the spool, one recording at a time."""
        first = self.recordings[chosen[0]]
        writer = SplitStoreWriter(directory, first, _rows(spool.frame_targets, 0, 0))
        try:
            for i in chosen:
                start, end = self._offsets[i], self._offsets[i + 1]
                writer.append_rows(
                    spool.frames.numpy()[start:end],
                    _rows(spool.frame_targets, start, end),
                    _rows(spool.recording_targets, start, end),
                )
        except BaseException:
            writer.discard()
            raise
        writer.commit()

    def _view(self, store: SplitStore, chosen: Sequence[int]) -> None:
        """Point the recordings ``chosen`` (laid end to end in ``store``) at their rows of it."""
        frames = store.frames.numpy()
        targets = {key: values.numpy() for key, values in store.recording_targets.items()}
        offset = 0
        for i in chosen:
            end = offset + len(self.recordings[i])
            self.recordings[i].frames = frames[offset:end]
            self.recordings[i].targets = {key: values[offset:end] for key, values in targets.items()}
            offset = end

    def window_set(
        self, part: str, window: int, stride: int, pure_target: str | None, with_frames: bool = True
    ) -> WindowSet:
        store = self._spool() if part == EVERY_RECORDING else self._stores.get(part)
        chosen = [self.recordings[i] for i in self._chosen(part)]
        return build_window_set(chosen, window, stride, [], pure_target, store)

    def close(self) -> None:
        """Drop the spool (the split stores stay: later runs on the same data reuse them)."""
        if self._writer is not None and EVERY_RECORDING not in self._stores:
            self._writer.discard()
        shutil.rmtree(self._spool_dir, ignore_errors=True)


def _rows(arrays: Mapping[str, Any], start: int, end: int) -> dict[str, np.ndarray]:
    return {key: values.numpy()[start:end] for key, values in arrays.items()}


def _placeholder(values: np.ndarray) -> np.ndarray:
    """An array of ``values``' shape and dtype that holds no memory (one broadcast zero): it stands
    in for a recording's per-frame array until it becomes a view of the spool."""
    return np.broadcast_to(np.zeros((), dtype=values.dtype), values.shape)
