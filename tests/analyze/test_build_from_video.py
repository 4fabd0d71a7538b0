"""Videos + label files → workout sessions (`motionlab.data.workout.build`) → a real training run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motionlab.data.workout.build import main
from motionlab.data.workout.format import JOINT_ANGLES, read_workout_dir
from tests.analyze.conftest import FPS, SUBJECTS

pytestmark = pytest.mark.xdist_group("analyze")


def test_build_writes_one_session_per_labelled_video_and_reports_the_rest(videos, built):
    out, report = built
    sessions = read_workout_dir(out)
    assert sorted(s.meta["subject"] for s in sessions) == sorted(SUBJECTS)
    for session in sessions:
        assert session.feature_names == list(JOINT_ANGLES) and session.fps == FPS
        assert len(session) == 75  # 2.5 s at 30 fps, every frame with a pose
        labels = np.asarray(["push_up", "squat", "pull_up", "dip", "no_exercise"])[session.targets["label"]]
        exercise = "squat" if session.meta["subject"] == "ben" else "push_up"
        assert set(labels[9:66]) == {exercise} and set(labels[:9]) == set(labels[66:]) == {"no_exercise"}
        np.testing.assert_array_equal(session.events["rep_starts"], [15, 36, 57])
        # the stick figure is seen from the side: the far limbs are hidden and take the near side's angles
        assert np.isnan(session.frames).mean() < 0.05
    skipped = report.skipped
    assert "no pose detected in any frame" in skipped[str(videos.blank)]
    assert "broken.mp4" in skipped[str(videos.broken)] and "labels" in skipped[str(videos.unlabelled)]
    saved = json.loads((out / "build_report.json").read_text())
    assert saved["reps"] == 9 and len(saved["sessions"]) == 3
    # 4 decodable videos, extracted here or read from the landmark cache that the analyzer tests share
    assert saved["videos_extracted"] + saved["videos_from_cache"] == 4


def test_label_errors_stop_the_build_before_extraction_with_the_file_and_field(videos, tmp_path, capsys):
    folder = tmp_path / "videos"
    folder.mkdir()
    video = folder / "dana_01.avi"
    video.write_bytes(videos.labelled["anna"].read_bytes())
    (folder / "dana_01.labels.yaml").write_text("segments:\n  - {exercise: squats, start: 0, end: 1}\n")
    args = [str(folder), "--out", str(tmp_path / "out"), "--pose-model", "missing.task", "--no-progress"]
    assert main(args) == 1
    error = capsys.readouterr().out
    assert "dana_01.labels.yaml: segments[0].exercise: unknown exercise 'squats'" in error
    (folder / "dana_01.labels.yaml").write_text("segments: []\n")
    assert main(args) == 1
    assert "has no field 'subject'" in capsys.readouterr().out


def test_built_sessions_train_and_export(workout_model):
    summary = json.loads((workout_model.parents[1] / "summary.json").read_text())
    assert summary["status"] == "completed" and workout_model.is_file()
    report = json.loads((workout_model.parents[1] / "data_report.json").read_text())
    assert report["splits"]["train"]["groups"] == ["anna"] and report["splits"]["test"]["groups"] == ["carla"]
