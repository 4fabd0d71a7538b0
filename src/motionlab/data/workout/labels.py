"""Workout labels of a video: one ``<video stem>.labels.yaml`` beside each video.

.. code-block:: yaml

    subject: anna            # who exercises (optional with --subject-from folder|stem)
    unit: seconds            # seconds (default) or frames (of the video, counted from 0)
    segments:                # one per exercise set, sorted, not overlapping; [start, end)
      - exercise: push_up
        start: 3.0
        end: 21.5
        reps: [3.4, 5.1, 6.9, 8.6]   # when each repetition starts
      - exercise: squat
        start: 30
        end: 52.5
        reps: [30.8, 33.0, 35.1]

=========  ============================================================================================
field      meaning
=========  ============================================================================================
subject    the person; train/val/test splits keep each subject's sessions together
unit       ``seconds`` or ``frames``: the unit of every start, end and rep time in the file
segments   the exercise done from ``start`` to ``end`` (exclusive) and the repetition start times in
           it (``reps``, increasing, inside the segment). Exercises are the class names
           (``push_up squat pull_up dip no_exercise`` by default); time outside every segment is
           ``no_exercise``
=========  ============================================================================================

Errors name the file, the field (``segments[2].end``) and what to change.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from motionlab.data.workout.format import WORKOUT_CLASSES
from motionlab.errors import DataFormatError

LABELS_SUFFIX = ".labels.yaml"
UNITS: tuple[str, ...] = ("seconds", "frames")
#: The label of time outside every segment.
BACKGROUND = "no_exercise"
_DOCS = "see motionlab.data.workout.labels or docs/video.md"


@dataclass(frozen=True)
class LabelSegment:
    """An exercise from ``start`` to ``end`` (exclusive) and its repetition starts, in the file's unit."""

    exercise: str
    start: float
    end: float
    reps: tuple[float, ...] = ()


@dataclass(frozen=True)
class VideoLabels:
    path: Path
    subject: str | None
    unit: str
    segments: tuple[LabelSegment, ...]

    def frame_labels(
        self, frames: int, fps: float, video_fps: float, background: str = BACKGROUND
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame exercise names ``[frames]`` and rep-start frames, on a grid of ``fps`` frames per
        second covering the video (``video_fps`` converts a file written in video frames).

        Raises `DataFormatError` when a segment or rep lies beyond the video's end.
        """
        seconds_per_unit = 1.0 if self.unit == "seconds" else 1.0 / video_fps
        duration = frames / fps
        labels = np.full(frames, background, dtype=f"<U{max(len(background), *self._name_lengths())}")
        reps: list[int] = []
        for i, segment in enumerate(self.segments):
            start, end = segment.start * seconds_per_unit, segment.end * seconds_per_unit
            if start >= duration or end > duration + 1.0 / fps:
                where = f"segments[{i}].{'start' if start >= duration else 'end'}"
                raise DataFormatError(
                    self.path,
                    f"{where}: the segment {self._span(segment)} reaches beyond the video, "
                    f"which is {self._in_unit(duration, video_fps)} long",
                    "check that the labels belong to this video and use its time (or frame) numbers",
                )
            labels[round(start * fps) : round(end * fps)] = segment.exercise
            reps.extend(round(t * seconds_per_unit * fps) for t in segment.reps)
        return labels, np.unique(np.clip(reps, 0, frames - 1)).astype(np.int64)

    def _name_lengths(self) -> list[int]:
        return [len(segment.exercise) for segment in self.segments] or [1]

    def _span(self, segment: LabelSegment) -> str:
        return f"{segment.start:g}..{segment.end:g} {self.unit}"

    def _in_unit(self, seconds: float, video_fps: float) -> str:
        return f"{seconds:.2f} s" if self.unit == "seconds" else f"{round(seconds * video_fps)} frames"


def labels_path(video: str | Path) -> Path:
    """Where the labels of ``video`` live: ``<stem>.labels.yaml`` beside it."""
    video = Path(video)
    return video.with_name(video.stem + LABELS_SUFFIX)


def read_labels(path: str | Path, class_names: Sequence[str] = WORKOUT_CLASSES) -> VideoLabels:
    """Read and validate a label file (times are checked against the video later, in `frame_labels`)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise DataFormatError(
            path, f"is not valid YAML{where}: {getattr(exc, 'problem', exc)}", _DOCS
        ) from exc
    return parse_labels(path, data, class_names)


def parse_labels(path: str | Path, data: Any, class_names: Sequence[str] = WORKOUT_CLASSES) -> VideoLabels:
    """Validate parsed label ``data``; errors name ``path`` and the field."""
    path = Path(path)
    if not isinstance(data, dict):
        raise DataFormatError(path, f"must hold a mapping of fields, not {type(data).__name__}", _DOCS)
    unknown = sorted(set(map(str, data)) - {"subject", "unit", "segments"})
    if unknown:
        raise DataFormatError(
            path, f"unknown field(s) {unknown}", f"the fields are subject, unit, segments ({_DOCS})"
        )
    subject = data.get("subject")
    if subject is not None and (not isinstance(subject, str | int) or not str(subject).strip()):
        raise DataFormatError(
            path, f"field 'subject' must be a name, got {subject!r}", "name the person, e.g. subject: anna"
        )
    unit = data.get("unit", "seconds")
    if unit not in UNITS:
        raise DataFormatError(path, f"field 'unit' is {unit!r}", f"use one of {list(UNITS)}")
    if "segments" not in data:
        raise DataFormatError(
            path, "has no field 'segments'", "list the exercise sets (segments: [] when there is none)"
        )
    items = data["segments"] if data["segments"] is not None else []
    if not isinstance(items, list):
        raise DataFormatError(path, "field 'segments' must be a list of segments", _DOCS)
    segments = tuple(
        _parse_segment(path, f"segments[{i}]", item, unit, class_names) for i, item in enumerate(items)
    )
    for i in range(1, len(segments)):
        previous, current = segments[i - 1], segments[i]
        if current.start < previous.end:
            raise DataFormatError(
                path,
                f"segments[{i}] starts at {current.start:g}, before segments[{i - 1}] ends "
                f"({previous.start:g}..{previous.end:g} {unit})",
                "sort the segments by start time; they may not overlap",
            )
    return VideoLabels(path, None if subject is None else str(subject).strip(), unit, segments)


def _parse_segment(path: Path, where: str, item: Any, unit: str, class_names: Sequence[str]) -> LabelSegment:
    if not isinstance(item, dict):
        raise DataFormatError(path, f"{where} must be a mapping with exercise, start, end, reps", _DOCS)
    unknown = sorted(set(map(str, item)) - {"exercise", "start", "end", "reps"})
    if unknown:
        raise DataFormatError(
            path, f"{where}: unknown field(s) {unknown}", "a segment has exercise, start, end, reps"
        )
    exercise = item.get("exercise")
    if exercise not in class_names:
        close = difflib.get_close_matches(str(exercise), list(class_names), n=1)
        raise DataFormatError(
            path,
            f"{where}.exercise: unknown exercise {exercise!r}",
            (f"did you mean {close[0]!r}? " if close else "") + f"use one of {list(class_names)}",
        )
    start = _time(path, f"{where}.start", item.get("start"), unit)
    end = _time(path, f"{where}.end", item.get("end"), unit)
    if end <= start:
        raise DataFormatError(
            path,
            f"{where}: end {end:g} is not after start {start:g}",
            "end is exclusive and must be later than start",
        )
    reps = item.get("reps", []) or []
    if not isinstance(reps, list):
        raise DataFormatError(
            path, f"{where}.reps must be a list of rep start times", f"e.g. reps: [3.4, 5.1] ({unit})"
        )
    times = [_time(path, f"{where}.reps[{k}]", value, unit) for k, value in enumerate(reps)]
    for k, time in enumerate(times):
        if k and time <= times[k - 1]:
            raise DataFormatError(
                path,
                f"{where}.reps[{k}] = {time:g} does not come after reps[{k - 1}] = {times[k - 1]:g}",
                "list each repetition start once, in increasing order",
            )
        if not start <= time < end:
            raise DataFormatError(
                path,
                f"{where}.reps[{k}] = {time:g} is outside its segment {start:g}..{end:g} {unit}",
                "move the rep into the segment of its exercise, or widen the segment",
            )
    if reps and exercise == BACKGROUND:
        raise DataFormatError(
            path, f"{where}: a {BACKGROUND} segment lists reps", "remove its reps or name the exercise"
        )
    return LabelSegment(str(exercise), start, end, tuple(times))


def _time(path: Path, where: str, value: Any, unit: str) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not number or value < 0 or (unit == "frames" and not float(value).is_integer()):
        kind = "a whole frame number >= 0" if unit == "frames" else "a time in seconds >= 0"
        raise DataFormatError(path, f"{where} is {value!r}, not {kind}", f"write {kind} (unit: {unit})")
    return float(value)
