"""Gait annotations: one ``<stem>.gait.json`` next to each video or landmark file ``<stem>.<ext>``.

.. code-block:: json

    {
      "runner": "anna",
      "fps": 30,
      "phases": [[0, "swing"], [4, "initial_contact"], [6, "mid_stance"], [10, "toe_off"],
                 [13, "swing"], [16, null], [40, "initial_contact"]],
      "form": [{"start": 0, "end": 450, "score": 7.5, "issues": []},
               {"start": 450, "end": 900, "score": 5.0, "issues": ["vertical_bounce", "overstriding"]}]
    }

=========  ==========================================================================================
field      meaning
=========  ==========================================================================================
runner     who runs (text); train/val/test splits keep each runner in one split
fps        optional frame rate; needed for ``.npy``/``.csv`` landmarks, checked against a video's
phases     change points ``[frame, phase]``, frames strictly increasing: each phase lasts until the
           next change point (the last one to the end). Phases: ``initial_contact``, ``mid_stance``,
           ``toe_off``, ``swing`` — the phase of the foot on the ground, ``swing`` when neither foot
           touches it. ``null`` marks frames that are not labelled, as are frames before the first
           change point
form       the form score (0-10, higher is better) and the issues present (``overstriding``,
           ``vertical_bounce``, ``asymmetry``) for the whole video — ``{"score": 7.5, "issues": []}``
           — or per segment: a list of ``{start, end, score, issues}`` covering frames ``[start, end)``,
           sorted and not overlapping. Frames outside every segment have no form label
=========  ==========================================================================================

Frame numbers count from 0 in the video (or landmark file). Unlabelled frames are kept as input but
do not count in the losses or metrics of the heads they lack labels for.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.errors import DataFormatError
from motionlab.files import write_text_atomic

GAIT_PHASES: tuple[str, ...] = ("initial_contact", "mid_stance", "toe_off", "swing")
GAIT_ISSUES: tuple[str, ...] = ("overstriding", "vertical_bounce", "asymmetry")
ANNOTATION_SUFFIX = ".gait.json"
MAX_SCORE = 10.0
_DOCS = "see motionlab.data.gait.annotations or docs/formats/gait.md"


@dataclass(frozen=True)
class FormSegment:
    """Form label of frames ``[start, end)``; ``end`` is ``None`` for "to the end of the video"."""

    start: int
    end: int | None
    score: float
    issues: tuple[str, ...] = ()


@dataclass
class GaitAnnotation:
    runner: str
    phases: list[tuple[int, str | None]] = field(default_factory=list)
    form: list[FormSegment] = field(default_factory=list)
    fps: float | None = None

    def frame_targets(
        self, frames: int, phases: Sequence[str] = GAIT_PHASES, issues: Sequence[str] = GAIT_ISSUES
    ) -> dict[str, np.ndarray]:
        """Per-frame targets: ``phase [T]`` int64 (-1 = unlabelled), ``form_score [T]`` and
        ``issues [T, len(issues)]`` float32 (NaN = unlabelled)."""
        phase = np.full(frames, -1, dtype=np.int64)
        for i, (start, name) in enumerate(self.phases):
            end = self.phases[i + 1][0] if i + 1 < len(self.phases) else frames
            phase[start:end] = -1 if name is None else phases.index(name)
        score = np.full(frames, np.nan, dtype=np.float32)
        flags = np.full((frames, len(issues)), np.nan, dtype=np.float32)
        for segment in self.form:
            span = slice(segment.start, frames if segment.end is None else segment.end)
            score[span] = segment.score
            flags[span] = [float(name in segment.issues) for name in issues]
        return {"phase": phase, "form_score": score, "issues": flags}

    def check_frames(self, path: str | Path, frames: int) -> None:
        """Raise when a change point or segment lies beyond the ``frames`` the media has."""
        for i, (frame, _) in enumerate(self.phases):
            if frame >= frames:
                raise DataFormatError(
                    path,
                    f"phases[{i}] starts at frame {frame}, "
                    f"but the recording has {frames} frames (0..{frames - 1})",
                    "check that the annotation belongs to this video and counts frames from 0",
                )
        for i, segment in enumerate(self.form):
            if segment.start >= frames or (segment.end is not None and segment.end > frames):
                raise DataFormatError(
                    path,
                    f"form[{i}] covers frames {segment.start}..{segment.end}, "
                    f"but the recording has {frames} frames",
                    "end is exclusive and at most the number of frames",
                )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"runner": self.runner}
        if self.fps is not None:
            data["fps"] = self.fps
        data["phases"] = [[frame, name] for frame, name in self.phases]
        data["form"] = [
            {"start": s.start, "end": s.end, "score": s.score, "issues": list(s.issues)} for s in self.form
        ]
        return data


def annotation_path(media: str | Path) -> Path:
    """Where the annotation of a video or landmark file lives: ``<stem>.gait.json`` beside it."""
    media = Path(media)
    return media.with_name(media.stem + ANNOTATION_SUFFIX)


def read_annotation(
    path: str | Path, phases: Sequence[str] = GAIT_PHASES, issues: Sequence[str] = GAIT_ISSUES
) -> GaitAnnotation:
    """Read and validate an annotation file (frame ranges are checked later, against the media)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataFormatError(
            path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    return parse_annotation(path, data, phases, issues)


def parse_annotation(
    path: str | Path, data: Any, phases: Sequence[str] = GAIT_PHASES, issues: Sequence[str] = GAIT_ISSUES
) -> GaitAnnotation:
    """Validate annotation ``data`` (the parsed JSON); errors name ``path`` and the field."""
    if not isinstance(data, dict):
        raise DataFormatError(path, f"must hold a JSON object, not {type(data).__name__}", _DOCS)
    unknown = sorted(set(data) - {"runner", "fps", "phases", "form"})
    if unknown:
        raise DataFormatError(
            path, f"unknown field(s) {unknown}", f"the fields are runner, fps, phases, form ({_DOCS})"
        )
    runner = data.get("runner")
    if not isinstance(runner, str) or not runner.strip():
        raise DataFormatError(
            path,
            "field 'runner' must be a non-empty text",
            "name the person who runs: splits keep each runner together",
        )
    fps = data.get("fps")
    if fps is not None and (not _is_number(fps) or fps <= 0):
        raise DataFormatError(path, f"field 'fps' must be a positive number, got {fps!r}")
    annotation = GaitAnnotation(
        runner=runner.strip(),
        phases=_parse_phases(path, data.get("phases", []), phases),
        form=_parse_form(path, data.get("form", []), issues),
        fps=None if fps is None else float(fps),
    )
    if not annotation.phases and not annotation.form:
        raise DataFormatError(
            path, "has neither 'phases' nor 'form' labels", f"label at least one of them ({_DOCS})"
        )
    return annotation


def write_annotation(path: str | Path, annotation: GaitAnnotation) -> Path:
    """Validate and write an annotation atomically."""
    path = Path(path)
    parse_annotation(path, json.loads(json.dumps(annotation.to_json())))
    write_text_atomic(path, json.dumps(annotation.to_json()))
    return path


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_frame(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _parse_phases(path: Path, items: Any, names: Sequence[str]) -> list[tuple[int, str | None]]:
    if not isinstance(items, list):
        raise DataFormatError(path, "field 'phases' must be a list of [frame, phase] change points", _DOCS)
    parsed: list[tuple[int, str | None]] = []
    for i, item in enumerate(items):
        if not (isinstance(item, list) and len(item) == 2 and _is_frame(item[0])):
            raise DataFormatError(
                path,
                f"phases[{i}] is {item!r}",
                "write each change point as [frame, phase], frame a whole number >= 0",
            )
        frame, name = item
        if name is not None and name not in names:
            raise DataFormatError(
                path, f"phases[{i}]: unknown phase {name!r}", f"use one of {list(names)} or null (unlabelled)"
            )
        if parsed and frame <= parsed[-1][0]:
            raise DataFormatError(
                path,
                f"phases[{i}] at frame {frame} does not come after frame {parsed[-1][0]}",
                "list change points in increasing frame order, one per frame",
            )
        parsed.append((frame, name))
    return parsed


def _parse_form(path: Path, value: Any, issue_names: Sequence[str]) -> list[FormSegment]:
    if isinstance(value, dict):
        if "start" in value or "end" in value:
            raise DataFormatError(
                path,
                "field 'form' is a single segment with start/end",
                "write per-segment labels as a list of segments",
            )
        return [_parse_segment(path, "form", {**value, "start": 0, "end": None}, issue_names)]
    if not isinstance(value, list):
        raise DataFormatError(
            path, "field 'form' must be an object (whole video) or a list of segments", _DOCS
        )
    segments = [_parse_segment(path, f"form[{i}]", item, issue_names) for i, item in enumerate(value)]
    for i in range(1, len(segments)):
        previous = segments[i - 1]
        if previous.end is None or segments[i].start < previous.end:
            raise DataFormatError(
                path,
                f"form[{i}] starts at frame {segments[i].start}, "
                f"inside form[{i - 1}] ({previous.start}..{previous.end})",
                "sort the segments by start; they may not overlap",
            )
    return segments


def _parse_segment(path: Path, where: str, item: Any, issue_names: Sequence[str]) -> FormSegment:
    if not isinstance(item, dict):
        raise DataFormatError(path, f"{where} must be an object with start, end, score, issues")
    unknown = sorted(set(item) - {"start", "end", "score", "issues"})
    if unknown:
        raise DataFormatError(
            path, f"{where}: unknown field(s) {unknown}", "a form label has start, end, score and issues"
        )
    start, end = item.get("start"), item.get("end")
    if not _is_frame(start) or not (end is None or _is_frame(end)) or (end is not None and end <= start):
        raise DataFormatError(
            path,
            f"{where}: frames {start!r}..{end!r} are not a range",
            "start and end are frame numbers with start < end (end exclusive)",
        )
    score = item.get("score")
    if not _is_number(score) or not 0 <= score <= MAX_SCORE:
        raise DataFormatError(
            path,
            f"{where}: score {score!r} is not a number in [0, {MAX_SCORE:g}]",
            "rate the form from 0 (poor) to 10 (excellent)",
        )
    issues = item.get("issues", [])
    if not isinstance(issues, list) or not all(isinstance(name, str) for name in issues):
        raise DataFormatError(
            path, f"{where}: 'issues' must be a list of issue names", f"use names from {list(issue_names)}"
        )
    unknown_issues = [name for name in issues if name not in issue_names]
    if unknown_issues or len(set(issues)) != len(issues):
        raise DataFormatError(
            path,
            f"{where}: "
            + (f"unknown issue(s) {unknown_issues}" if unknown_issues else f"repeated issue in {issues}"),
            f"list each present issue once, from {list(issue_names)}",
        )
    return FormSegment(start, end, float(score), tuple(issues))
