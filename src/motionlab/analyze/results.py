"""One video through an exported model: per-frame predictions and the summary a person reads.

The model runs on every stretch of at least one window with a usable pose: frames without one are
interpolated up to ``max_gap_seconds``, and longer gaps split the video (those frames get no
prediction). Per-window outputs (exercise, form score, issues, confidence) are spread over the frames
of their window and averaged where windows overlap, like the per-frame outputs, so every output has
one value per frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from motionlab.analyze.confidence import Confidence, assess
from motionlab.analyze.features import PoseQuality, model_features, pose_quality
from motionlab.data.recording import Recording, fill_gaps, split_at_gaps
from motionlab.inference.onnx_model import OnnxMotionModel
from motionlab.inference.peaks import find_peaks
from motionlab.inference.sliding import overlap_average
from motionlab.pose.extractor import PoseSequence

GAIT, WORKOUT = "gait", "workout"
NO_EXERCISE = "no_exercise"
#: Shortest exercise segment reported; shorter runs of a class join the segment before them.
MIN_SEGMENT_SECONDS = 1.0
#: Initial contacts are at least this far apart (one step; 300 steps/min at most).
MIN_STEP_SECONDS = 0.2


@dataclass
class FramePredictions:
    """Model outputs per frame of the model's time grid (NaN where no window covered the frame)."""

    fps: float
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    covered: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    pieces: list[tuple[int, int]] = field(default_factory=list)
    window_values: dict[str, np.ndarray] = field(default_factory=dict)


def task_kind(model: OnnxMotionModel) -> str:
    """``gait`` or ``workout``, from the model's outputs."""
    if "phase_probs" in model.output_names:
        return GAIT
    if "exercise_probs" in model.output_names:
        return WORKOUT
    raise ValueError(
        f"{model.path}: the analyzer reads gait models (phase_probs) and workout models (exercise_probs); "
        f"this one ({model.metadata.get('task')}) has outputs {model.output_names}"
    )


def predict_frames(model: OnnxMotionModel, frames: np.ndarray, max_gap: int) -> FramePredictions:
    """Every output of ``model`` per frame of ``frames [T, F]`` (NaN rows: no usable pose)."""
    recording = Recording("video", frames.copy(), model.feature_names, model.fps, "video", "video")
    pieces, _ = split_at_gaps(recording, max_gap)
    length = len(frames)
    window = model.window
    per_frame = set(model.per_frame_outputs())
    sums: dict[str, np.ndarray] = {}
    predictions = FramePredictions(model.fps, covered=np.zeros(length, dtype=bool))
    window_values: dict[str, list[np.ndarray]] = {}
    for piece in pieces:
        if len(piece) < window:
            continue
        fill_gaps(piece, max_gap)
        first = int(piece.meta.get("first_frame", 0))
        result = model.run_recording(piece.frames)
        starts = result.pop("window_starts")
        for name, values in result.items():
            if name not in per_frame:
                window_values.setdefault(name, []).append(values)
                values = overlap_average(np.repeat(values[:, None], window, axis=1), starts, len(piece))
            target = sums.setdefault(name, np.full((length, *values.shape[1:]), np.nan))
            target[first : first + len(piece)] = values
        predictions.covered[first : first + len(piece)] = True
        predictions.pieces.append((first, first + len(piece)))
    predictions.outputs = sums
    predictions.window_values = {name: np.concatenate(parts) for name, parts in window_values.items()}
    return predictions


def runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """``(value, start, end)`` of each run of equal values in a 1-D int array (end exclusive)."""
    if len(labels) == 0:
        return []
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(labels)]])
    return [(int(labels[s]), int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def _seconds(frame: int, fps: float) -> float:
    return round(frame / fps, 3)


def _predicted_labels(probabilities: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Per-frame argmax, -1 where no prediction."""
    labels = np.full(len(covered), -1, dtype=np.int64)
    labels[covered] = np.nan_to_num(probabilities[covered]).argmax(axis=1)
    return labels


def summarize_gait(
    model: OnnxMotionModel, predictions: FramePredictions
) -> tuple[dict[str, Any], float | None]:
    """Phases over time, cadence, form score and issue flags; and the model's mean confidence."""
    metadata = model.metadata
    phase_names = list(metadata.get("phase_names", model.class_names))
    issue_names = list(metadata.get("issue_names", []))
    fps, covered = predictions.fps, predictions.covered
    if not covered.any():
        return {
            "phases": [],
            "phase_share": {},
            "cadence_spm": None,
            "steps": 0,
            "form_score": None,
            "issues": {},
        }, None
    probs = predictions.outputs["phase_probs"]
    labels = _predicted_labels(probs, covered)
    contact = phase_names.index("initial_contact") if "initial_contact" in phase_names else 0
    steps, intervals, span = [], 0, 0.0
    for start, end in predictions.pieces:
        peaks = start + find_peaks(probs[start:end, contact], 0.5, max(1, round(MIN_STEP_SECONDS * fps)))
        steps.extend(peaks.tolist())
        if len(peaks) >= 2:
            intervals += len(peaks) - 1
            span += (peaks[-1] - peaks[0]) / fps
    windows = predictions.window_values
    threshold = float(metadata.get("issue_threshold", 0.5))
    issue_probs = windows["issue_probs"].mean(axis=0) if issue_names else np.zeros(0)
    share = np.bincount(labels[covered], minlength=len(phase_names)) / covered.sum()
    summary = {
        "phases": [
            {"phase": phase_names[value], "start_s": _seconds(s, fps), "end_s": _seconds(e, fps)}
            for value, s, e in runs(labels)
            if value >= 0
        ],
        "phase_share": {name: round(float(v), 4) for name, v in zip(phase_names, share, strict=True)},
        "cadence_spm": round(60.0 * intervals / span, 1) if span > 0 else None,
        "steps": len(steps),
        "step_times_s": [_seconds(f, fps) for f in steps],
        "form_score": round(float(windows["form_score"].mean()), 2),
        "issues": {
            name: {"probability": round(float(p), 4), "flagged": bool(p >= threshold)}
            for name, p in zip(issue_names, issue_probs, strict=True)
        },
    }
    return summary, float(windows["confidence"].mean())


def summarize_workout(
    model: OnnxMotionModel, predictions: FramePredictions
) -> tuple[dict[str, Any], float | None]:
    """Exercise segments with their repetition counts; and the model's mean top class probability."""
    names = model.class_names
    fps, covered = predictions.fps, predictions.covered
    if not covered.any():
        return {"segments": [], "rep_counts": {}, "total_reps": 0, "rep_times_s": []}, None
    labels = _merge_short_runs(_predicted_labels(predictions.outputs["exercise_probs"], covered), fps)
    threshold = float(model.metadata.get("rep_threshold", 0.5))
    distance = max(1, round(float(model.metadata.get("min_rep_seconds", 0.8)) * fps))
    reps = np.concatenate(
        [
            s + find_peaks(predictions.outputs["rep_start_prob"][s:e], threshold, distance)
            for s, e in predictions.pieces
        ]
    )
    segments, counts = [], {}
    for value, start, end in runs(labels):
        if value < 0 or names[value] == NO_EXERCISE:
            continue
        count = int(((reps >= start) & (reps < end)).sum())
        segments.append(
            {
                "exercise": names[value],
                "start_s": _seconds(start, fps),
                "end_s": _seconds(end, fps),
                "reps": count,
            }
        )
        counts[names[value]] = counts.get(names[value], 0) + count
    summary = {
        "segments": segments,
        "rep_counts": counts,
        "total_reps": sum(counts.values()),
        "rep_times_s": [
            _seconds(int(f), fps) for f in reps if labels[f] >= 0 and names[labels[f]] != NO_EXERCISE
        ],
    }
    return summary, float(predictions.window_values["exercise_probs"].max(axis=1).mean())


def _merge_short_runs(labels: np.ndarray, fps: float) -> np.ndarray:
    """Runs of a class shorter than `MIN_SEGMENT_SECONDS` take the class of the run before them
    (the first run: the one after), so a moment of doubt does not split a set."""
    merged = labels.copy()
    shortest = round(MIN_SEGMENT_SECONDS * fps)
    spans = runs(merged)
    for k, (value, start, end) in enumerate(spans):
        if value >= 0 and end - start < shortest and len(spans) > 1:
            neighbour = merged[start - 1] if start > 0 else spans[k + 1][0]
            if neighbour >= 0:
                merged[start:end] = neighbour
    return merged


@dataclass
class VideoAnalysis:
    """The analysis of one video: the JSON-ready `summary` and the per-frame predictions for plots."""

    summary: dict[str, Any]
    predictions: FramePredictions | None = None
    features: np.ndarray | None = None


def analyze_pose(pose: PoseSequence, model: OnnxMotionModel, max_gap_seconds: float = 0.25) -> VideoAnalysis:
    """Run ``model`` over the landmarks of one video and summarise the result."""
    kind = task_kind(model)
    features = model_features(pose, model.feature_names, model.fps)
    predictions = predict_frames(model, features, max(0, round(max_gap_seconds * model.fps)))
    summarize = summarize_gait if kind == GAIT else summarize_workout
    result, model_confidence = summarize(model, predictions)
    quality = pose_quality(pose)
    confidence = assess(quality, model_confidence, model.window / model.fps)
    summary = {
        "task": kind,
        "frames": len(pose.landmarks),
        "fps": round(pose.fps, 3),
        "duration_s": round(len(pose.landmarks) / pose.fps, 3),
        "pose": _pose_entry(quality, predictions),
        "confidence": confidence.to_dict(),
        kind: result,
    }
    return VideoAnalysis(summary, predictions, features)


def _pose_entry(quality: PoseQuality, predictions: FramePredictions) -> dict[str, float]:
    return {
        "detected_share": round(quality.detected_share, 4),
        "visibility": round(quality.visibility, 4),
        "analysed_share": round(float(predictions.covered.mean()) if len(predictions.covered) else 0.0, 4),
    }


def failed_analysis(error: str, task: str) -> dict[str, Any]:
    """The summary of a video that could not be read: Low confidence, with the reason."""
    confidence = Confidence("Low", 0.0, 0.0, 0.0, f"the video could not be analysed: {error}")
    return {"task": task, "error": error, "confidence": confidence.to_dict()}
