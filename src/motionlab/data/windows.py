"""Vectorised windowing: recordings concatenated into one tensor, windows are start offsets into it.

No window is ever materialised ahead of time. A split is stored once as contiguous ``frames [N, F]``
(plus per-frame targets); a window is just its start offset. A batch of windows is one advanced-
indexing gather, ``frames[starts[:, None] + arange(W)]``, so building a batch costs one tensor op
whatever the batch size, and memory stays at one copy of the data.

With a `SplitStore` the same arrays live on disk as memory-mapped ``.npy`` files (`MappedArray`,
indexed like a tensor), for data that does not fit in memory; windows and batches are identical.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from motionlab.data.mapped import MappedArray
from motionlab.data.recording import Recording
from motionlab.data.split_store import SplitStore

# Batch keys a `WindowDataset` adds: each window's position in its split and its recording's index, so
# that evaluation can put windows back in order and answer per recording (under any sampler).
WINDOW_INDEX = "window_index"
RECORDING_INDEX = "recording_index"
#: The key the training and validation windows a closed-form head fit reads carry: each window's split
#: group (subject, session) as a code, for heads that standardise features per group.
GROUP_INDEX = "group_index"


def window_starts(lengths: Sequence[int] | np.ndarray, window: int, stride: int) -> np.ndarray:
    """Start offsets of every full window inside consecutive segments of the given lengths.

    Segments are laid end to end (segment ``i`` begins at ``sum(lengths[:i])``); a window never
    crosses a segment boundary. Example: lengths ``[5, 3, 7]``, window 3, stride 2 give
    ``[0, 2, 5, 8, 10, 12]``.
    """
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got window={window}, stride={stride}")
    lengths = np.asarray(lengths, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(lengths) else lengths
    counts = np.maximum(0, (lengths - window) // stride + 1)
    first = np.repeat(offsets, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return first + within * stride


def segment_lengths(boundaries: np.ndarray) -> np.ndarray:
    """Lengths of the runs between True entries of ``boundaries`` (True = a new segment starts here)."""
    starts = np.flatnonzero(boundaries)
    return np.diff(np.append(starts, len(boundaries)))


@dataclass
class WindowSet:
    """All windows of one split, stored as offsets into contiguous tensors.

    Attributes:
        frames: ``[N, F]`` float32, every recording of the split end to end (a tensor, or a
            memory-mapped `MappedArray` indexed the same way).
        frame_targets: per-frame targets aligned with ``frames`` (``[N, ...]`` each, likewise).
        starts: ``[M]`` start offset of each window into ``frames``.
        window_targets: per-window targets (``[M, ...]`` each), e.g. the window's class.
        recording_index: ``[M]`` which recording (position in ``recordings``) each window is from.
        recordings: the split's recordings, for whole-recording evaluation and reports.
        window: window length in frames.
    """

    frames: Tensor | MappedArray
    starts: Tensor
    window: int
    recording_index: Tensor
    recordings: list[Recording]
    frame_targets: dict[str, Tensor | MappedArray] = field(default_factory=dict)
    window_targets: dict[str, Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.starts.shape[0])

    def windowed(self, key: str) -> Tensor:
        """Per-frame target ``key`` for every window at once: ``[M, W, ...]``."""
        return self.frame_targets[key][self.starts.unsqueeze(1) + torch.arange(self.window)]

    def gather(self, index: Tensor) -> dict[str, Tensor]:
        """The windows at positions ``index`` as a batch: ``x [B, W, F]`` plus targets."""
        rows = self.starts[index].unsqueeze(1) + torch.arange(self.window)
        batch = {"x": self.frames[rows]}
        batch.update({key: values[rows] for key, values in self.frame_targets.items()})
        batch.update({key: values[index] for key, values in self.window_targets.items()})
        return batch


def build_window_set(
    recordings: list[Recording],
    window: int,
    stride: int,
    frame_targets: list[dict[str, np.ndarray]],
    pure_target: str | None = None,
    store: SplitStore | None = None,
    with_frames: bool = True,
) -> WindowSet:
    """Concatenate ``recordings`` (or map them from ``store``) and index every full window.

    Args:
        recordings: the split's recordings (frames already gap-filled).
        window, stride: window length and step, in frames.
        frame_targets: per recording, the per-frame targets to window alongside the frames (not
            needed with ``store``).
        pure_target: name of a per-frame target that no window may straddle a change of (label-pure
            windows); ``None`` lets windows span any change inside a recording.
        store: the same frames and per-frame targets already laid end to end on disk: the window set
            maps them instead of concatenating them in memory.
        with_frames: ``False`` leaves ``frames`` empty, for callers that need only the windows and
            their targets (the split), so that no copy of the frames is made.
    """
    lengths = np.array([len(r) for r in recordings], dtype=np.int64)
    boundaries = np.zeros(int(lengths.sum()), dtype=bool)
    boundaries[np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)] = True
    if pure_target is not None:
        labels = (
            store.frame_targets[pure_target].numpy()
            if store is not None
            else np.concatenate([t[pure_target] for t in frame_targets])
        )
        boundaries[1:] |= labels[1:] != labels[:-1]
    starts = window_starts(segment_lengths(boundaries), window, stride)
    recording_index = np.searchsorted(np.cumsum(lengths), starts, side="right")
    if store is not None:
        if len(store.frames) != len(boundaries):
            raise ValueError(f"{store.frames.path} holds {len(store.frames)} frames, not {len(boundaries)}")
        frames, targets = store.frames, store.frame_targets
    else:
        num_features = len(recordings[0].feature_names) if recordings else 0
        arrays = [r.frames for r in recordings] if recordings and with_frames else []
        frames = np.concatenate(arrays) if arrays else np.zeros((0, num_features), np.float32)
        frames = torch.from_numpy(np.ascontiguousarray(frames, dtype=np.float32))
        targets = {
            key: torch.from_numpy(np.ascontiguousarray(np.concatenate([t[key] for t in frame_targets])))
            for key in (frame_targets[0] if recordings else {})
        }
    return WindowSet(
        frames=frames,
        starts=torch.from_numpy(starts),
        window=window,
        recording_index=torch.from_numpy(recording_index),
        recordings=recordings,
        frame_targets=targets,
    )


def concat_window_sets(sets: Sequence[WindowSet]) -> WindowSet:
    """The windows of ``sets`` (all of one window length and the same targets) as one `WindowSet`,
    in order: e.g. every split of a dataset, evaluated together."""
    if len({s.window for s in sets}) != 1:
        raise ValueError(f"window sets of different window lengths: {[s.window for s in sets]}")
    frame_offsets = np.cumsum([0, *(len(s.frames) for s in sets[:-1])])
    recording_offsets = np.cumsum([0, *(len(s.recordings) for s in sets[:-1])])
    return WindowSet(
        frames=torch.cat([s.frames for s in sets]),
        starts=torch.cat([s.starts + int(o) for s, o in zip(sets, frame_offsets, strict=True)]),
        window=sets[0].window,
        recording_index=torch.cat(
            [s.recording_index + int(o) for s, o in zip(sets, recording_offsets, strict=True)]
        ),
        recordings=[r for s in sets for r in s.recordings],
        frame_targets={k: torch.cat([s.frame_targets[k] for s in sets]) for k in sets[0].frame_targets},
        window_targets={k: torch.cat([s.window_targets[k] for s in sets]) for k in sets[0].window_targets},
    )


class WindowDataset(torch.utils.data.Dataset):
    """Map-style view of a `WindowSet` whose batches are fetched in one gather.

    ``DataLoader`` calls ``__getitems__`` with the whole list of sampled indices, so standard samplers
    (random, weighted, Lightning's distributed wrapper) work unchanged while batching stays a single
    tensor operation. Use it with ``collate_fn=keep_batch``. Besides ``x`` and the targets, a batch
    holds each window's ``window_index`` (position in the split) and ``recording_index``.
    """

    def __init__(self, windows: WindowSet, groups: Sequence[str] | None = None) -> None:
        # Only what a batch needs: a worker process that receives the dataset gets no recordings.
        self.windows = dataclasses.replace(windows, recordings=[])
        #: the windows' recordings, for whole-recording evaluation in the process that evaluates
        #: (`MotionTask.evaluate_recordings`); left out when the dataset is sent to a worker.
        self.recordings = windows.recordings
        #: the split group of each recording (``groups``, default: the reader's ``Recording.group``),
        #: for results per group (`MotionTask.evaluated_groups`); left out like the recordings.
        self.groups = [r.group for r in windows.recordings] if groups is None else list(groups)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "recordings": [], "groups": []}

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        return {key: value[0] for key, value in self.__getitems__([index]).items()}

    def __getitems__(self, indices: list[int]) -> dict[str, Tensor]:
        index = torch.as_tensor(indices, dtype=torch.long)
        batch = self.windows.gather(index)
        batch[WINDOW_INDEX] = index
        batch[RECORDING_INDEX] = self.windows.recording_index[index]
        return batch


def keep_batch(batch: dict[str, Tensor]) -> dict[str, Tensor]:
    """Collate function for `WindowDataset`: the batch is already assembled."""
    return batch
