"""`Recording`: what every reader returns and the windowing engine consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from motionlab.errors import DataFormatError


@dataclass
class Recording:
    """One continuous capture (a session, a video, a clip) as a dense frame matrix.

    Attributes:
        name: unique id of the recording (file stem, session id, ...).
        frames: ``[T, F]`` float32 features; NaN rows mark frames the capture dropped.
        feature_names: the ``F`` column names, in order.
        fps: frames per second.
        group: the unit that train/val/test splits keep together (subject, session, video, clip).
        source: where the recording came from, used in every error message.
        targets: per-frame arrays of length ``T`` (e.g. integer class per frame).
        events: frame indices of point events (e.g. ``rep_starts``), sorted.
        meta: anything else a reader wants to carry (subject, camera, ...).
    """

    name: str
    frames: np.ndarray
    feature_names: list[str]
    fps: float
    group: str
    source: str
    targets: dict[str, np.ndarray] = field(default_factory=dict)
    events: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frames.ndim != 2:
            raise DataFormatError(self.source, f"frames must be 2-D [T, F], got shape {self.frames.shape}")
        if self.frames.shape[1] != len(self.feature_names):
            raise DataFormatError(
                self.source,
                f"{self.frames.shape[1]} feature columns but {len(self.feature_names)} feature names",
            )
        for key, values in self.targets.items():
            if len(values) != len(self):
                raise DataFormatError(
                    self.source, f"target '{key}' has {len(values)} entries for {len(self)} frames"
                )

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def slice(self, start: int, stop: int, name: str) -> Recording:
        """Frames ``[start, stop)`` as a recording of their own: targets cut alike, events shifted."""
        events = {
            key: values[(values >= start) & (values < stop)] - start for key, values in self.events.items()
        }
        return Recording(
            name=name,
            frames=self.frames[start:stop],
            feature_names=self.feature_names,
            fps=self.fps,
            group=self.group,
            source=self.source,
            targets={key: values[start:stop] for key, values in self.targets.items()},
            events=events,
            meta={**self.meta, "parent": self.name, "first_frame": start},
        )


@dataclass(frozen=True)
class GapFillResult:
    """What `fill_gaps` did to one recording (for the data report)."""

    interpolated_frames: int
    longest_gap: int


def fill_gaps(recording: Recording, max_gap: int) -> GapFillResult:
    """Linearly interpolate runs of NaN frames no longer than ``max_gap``, in place.

    Longer gaps, NaN at the start or end that cannot be bridged, or infinite values raise a
    `DataFormatError` naming the frames, because silently inventing seconds of motion would teach
    the model things that never happened.
    """
    frames = recording.frames
    if np.isinf(frames).any():
        row, col = np.argwhere(np.isinf(frames))[0]
        raise DataFormatError(
            recording.source,
            f"infinite value at frame {row}, feature '{recording.feature_names[col]}' (or a value "
            "beyond float32's range ±3.4e38)",
            "fix the export; where the data format allows it, a dropped frame is written as NaN",
        )
    missing = np.isnan(frames).any(axis=1)
    if not missing.any():
        return GapFillResult(0, 0)
    if missing.all():
        empty = np.isnan(frames).all(axis=0)
        if empty.any() and not empty.all():
            names = [recording.feature_names[j] for j in np.flatnonzero(empty)]
            raise DataFormatError(
                recording.source,
                f"feature column(s) {names[:5]}{' ...' if len(names) > 5 else ''} are NaN in every frame",
                "fix the export of that column, or leave the column out of the features",
            )
        raise DataFormatError(recording.source, "every frame is NaN", "check the export of this recording")
    starts, ends = _runs(missing)
    lengths = ends - starts
    longest = int(lengths.max())
    too_long = lengths > max_gap
    if too_long.any():
        i = int(np.argmax(too_long))
        raise DataFormatError(
            recording.source,
            f"{lengths[i]} consecutive NaN frames at frames {starts[i]}..{ends[i] - 1} "
            f"(longest allowed gap is {max_gap})",
            "raise data.max_gap to interpolate it, or cut the recording at the gap",
        )
    if missing[0] or missing[-1]:
        edge = "start" if missing[0] else "end"
        raise DataFormatError(
            recording.source,
            f"NaN frames at the {edge} of the recording cannot be interpolated",
            "trim the recording to its first and last complete frames",
        )
    # A partly-NaN frame is treated as fully dropped: its values are interpolated together.
    t = np.arange(len(frames))
    good = ~missing
    frames[missing] = np.stack(
        [np.interp(t[missing], t[good], frames[good, j]) for j in range(frames.shape[1])], axis=1
    ).astype(frames.dtype)
    return GapFillResult(int(missing.sum()), longest)


def split_at_gaps(recording: Recording, max_gap: int) -> tuple[list[Recording], int]:
    """Cut ``recording`` at every run of more than ``max_gap`` NaN frames, and trim NaN at both ends.

    Returns the pieces (named ``<name>#<k>`` when there is more than one; shorter gaps stay inside a
    piece, for `fill_gaps`) and the number of frames dropped. A recording without any valid frame
    gives no piece. For captures where long dropouts are expected (a person leaving a video), so
    that they are reported instead of failing the run.
    """
    missing = np.isnan(recording.frames).any(axis=1)
    starts, ends = _runs(missing)
    long = (ends - starts > max_gap) | (starts == 0) | (ends == len(missing))
    cut_starts, cut_ends = starts[long], ends[long]
    keep_starts = np.concatenate([[0], cut_ends])
    keep_ends = np.concatenate([cut_starts, [len(missing)]])
    spans = [(int(a), int(b)) for a, b in zip(keep_starts, keep_ends, strict=True) if b > a]
    if len(spans) == 1 and spans[0] == (0, len(missing)):
        return [recording], 0
    pieces = [
        recording.slice(a, b, f"{recording.name}#{k}" if len(spans) > 1 else recording.name)
        for k, (a, b) in enumerate(spans)
    ]
    return pieces, int(len(missing) - sum(b - a for a, b in spans))


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and end (exclusive) indices of the runs of True in a 1-D mask."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
