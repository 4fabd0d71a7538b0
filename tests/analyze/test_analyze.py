"""The video analyzer on rendered videos with tiny exported models: documented JSON fields, confidence
levels, a plot, a video without a person and an unreadable one; and it never imports torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from motionlab.analyze.cli import analyze_videos
from motionlab.analyze.confidence import assess, level_of
from motionlab.analyze.features import PoseQuality
from motionlab.analyze.results import FramePredictions, summarize_gait, summarize_workout
from motionlab.inference.onnx_model import OnnxMotionModel
from tests.analyze.conftest import read_json

pytestmark = pytest.mark.xdist_group("analyze")
CONFIDENCE_FIELDS = {"level", "score", "pose", "model", "explanation"}


def test_confidence_levels_follow_seed_003():
    assert [level_of(s) for s in (0.95, 0.9, 0.8, 0.75, 0.7, 0.6, 0.3)] == [
        "High", "Good", "Good", "Moderate", "Moderate", "Low", "Low"
    ]  # fmt: skip
    good = assess(PoseQuality(1.0, 0.95), 0.9, 1.0)
    assert good.level == "Good" and good.score == pytest.approx(0.855) and good.explanation is None
    hidden = assess(PoseQuality(0.98, 0.55), 0.9, 1.0)
    assert hidden.level == "Low" and "often hidden (mean visibility 55%)" in hidden.explanation
    unsure = assess(PoseQuality(1.0, 0.97), 0.7, 1.0)
    assert unsure.level == "Moderate" and "model is unsure (mean confidence 70%)" in unsure.explanation


def test_workout_videos_give_segments_reps_and_a_confidence(videos, workout_model, tmp_path):
    out = tmp_path / "analysis"
    settings, cache = videos.settings, videos.cache_dir
    inputs = [videos.labelled["anna"], videos.blank, videos.broken]
    summaries = analyze_videos(inputs, workout_model, settings, cache, out, plot=True, progress=False)
    seen, blank, broken = summaries
    assert seen == read_json(out / "anna_set1.json")
    assert read_json(out / "summary.json")["videos"] == summaries
    assert seen["task"] == "workout" and seen["duration_s"] == pytest.approx(2.5)
    assert seen["pose"]["detected_share"] == 1.0 and seen["pose"]["analysed_share"] == 1.0
    confidence = seen["confidence"]
    assert set(confidence) == CONFIDENCE_FIELDS
    assert confidence["score"] == pytest.approx(confidence["pose"] * confidence["model"], abs=1e-3)
    assert confidence["pose"] == pytest.approx(seen["pose"]["visibility"], abs=1e-3)
    model = OnnxMotionModel(workout_model)
    assert 1 / len(model.class_names) <= confidence["model"] <= 1.0
    workout = seen["workout"]
    assert set(workout) == {"segments", "rep_counts", "total_reps", "rep_times_s"}
    for segment in workout["segments"]:
        assert (
            set(segment) == {"exercise", "start_s", "end_s", "reps"}
            and segment["exercise"] in model.class_names
        )
    assert (
        workout["total_reps"]
        == sum(workout["rep_counts"].values())
        == sum(s["reps"] for s in workout["segments"])
    )
    assert (out / "anna_set1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # no person: Low, with the reason; an unreadable file: Low, with the decoder's complaint
    assert blank["pose"]["detected_share"] == 0.0 and blank["confidence"]["level"] == "Low"
    assert "no stretch of 1 s with a person in view" in blank["confidence"]["explanation"]
    assert blank["workout"]["segments"] == [] and (out / "empty_room.png").is_file()
    assert broken["confidence"]["level"] == "Low" and "cannot be opened as a video" in broken["error"]


def test_gait_cli_reports_cadence_form_and_issues_without_importing_torch(videos, gait_model, tmp_path):
    out = tmp_path / "analysis"
    args = [
        str(videos.labelled["carla"].parent),
        str(videos.labelled["anna"]),
        "--model", str(gait_model),
        "--out", str(out),
        "--pose-model", videos.settings.model_path,
        "--cache-dir", str(videos.cache_dir),
        "--no-progress",
    ]  # fmt: skip
    code = f"""
import sys
from motionlab.analyze.cli import main
code = main({args!r})
print("HEAVY", [name for name in ("torch", "lightning") if name in sys.modules], code)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "HEAVY [] 0" in done.stdout
    assert "cadence" in done.stdout and "2 videos" in done.stdout  # a table per video, then the summary
    summary = read_json(out / "carla_set1.json")
    metadata = OnnxMotionModel(gait_model).metadata
    gait = summary["gait"]
    assert summary["task"] == "gait" and set(summary["confidence"]) == CONFIDENCE_FIELDS
    assert set(gait) == {
        "phases",
        "phase_share",
        "cadence_spm",
        "steps",
        "step_times_s",
        "form_score",
        "issues",
    }
    assert set(gait["issues"]) == set(metadata["issue_names"]) and 0 <= gait["form_score"] <= 10
    assert sum(gait["phase_share"].values()) == pytest.approx(1.0, abs=1e-3)
    assert gait["phases"][0]["start_s"] == 0 and gait["phases"][-1]["end_s"] == pytest.approx(2.5)
    assert len(json.loads((out / "summary.json").read_text())["videos"]) == 2


def test_cadence_counts_initial_contacts_and_reps_are_counted_per_segment(gait_model, workout_model):
    fps, frames = 30.0, 90
    gait = OnnxMotionModel(gait_model)
    phases = np.full((frames, 4), 0.1 / 3)
    phases[:, 3] = 0.9
    phases[5::10] = [0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3]  # initial contact every 10 frames: 180 steps/min
    windows = {"form_score": np.array([6.0, 8.0]), "confidence": np.array([0.8, 0.6])}
    windows["issue_probs"] = np.array([[0.9, 0.1, 0.2], [0.7, 0.1, 0.4]])
    predictions = FramePredictions(
        fps, {"phase_probs": phases}, np.ones(frames, bool), [(0, frames)], windows
    )
    summary, confidence = summarize_gait(gait, predictions)
    assert summary["steps"] == 9 and summary["cadence_spm"] == pytest.approx(180.0)
    assert summary["form_score"] == 7.0 and confidence == pytest.approx(0.7)
    assert [name for name, issue in summary["issues"].items() if issue["flagged"]] == ["overstriding"]

    workout = OnnxMotionModel(workout_model)
    names = workout.class_names
    probs = np.zeros((120, len(names)))
    probs[:60, names.index("squat")] = 1.0
    probs[60:, names.index("no_exercise")] = 1.0
    probs[30:35] = np.eye(len(names))[names.index("dip")]  # a moment of doubt inside the set
    rep = np.zeros(120)
    rep[[5, 30, 55, 90]] = 1.0  # three reps in the squat set (min_rep_seconds 0.8 apart), one at rest
    predictions = FramePredictions(
        fps, {"exercise_probs": probs, "rep_start_prob": rep}, np.ones(120, bool), [(0, 120)],
        {"exercise_probs": np.array([[0.8, 0.2], [0.6, 0.4]])},
    )  # fmt: skip
    summary, confidence = summarize_workout(workout, predictions)
    assert summary["segments"] == [{"exercise": "squat", "start_s": 0.0, "end_s": 2.0, "reps": 3}]
    assert summary["rep_counts"] == {"squat": 3} and confidence == pytest.approx(0.7)
