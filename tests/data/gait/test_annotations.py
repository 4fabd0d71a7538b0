"""Gait annotation files: per-frame targets and clear errors naming the file and the field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motionlab.data.gait.annotations import FormSegment, GaitAnnotation, read_annotation, write_annotation
from motionlab.errors import DataFormatError

VALID = {
    "runner": "anna",
    "fps": 30,
    "phases": [[2, "initial_contact"], [4, "mid_stance"], [6, None], [8, "swing"]],
    "form": [
        {"start": 0, "end": 5, "score": 7.5, "issues": []},
        {"start": 7, "end": 10, "score": 4, "issues": ["asymmetry", "overstriding"]},
    ],
}


def write(tmp_path, data) -> object:
    path = tmp_path / "run.gait.json"
    path.write_text(json.dumps(data))
    return path


def test_frame_targets_follow_change_points_and_segments(tmp_path):
    annotation = read_annotation(write(tmp_path, VALID))
    assert annotation.runner == "anna" and annotation.fps == 30.0
    targets = annotation.frame_targets(10)
    assert targets["phase"].tolist() == [-1, -1, 0, 0, 1, 1, -1, -1, 3, 3]
    score = targets["form_score"]
    assert score[:5].tolist() == [7.5] * 5 and np.isnan(score[5:7]).all() and score[7:].tolist() == [4.0] * 3
    assert targets["issues"][8].tolist() == [1.0, 0.0, 1.0] and targets["issues"][0].tolist() == [
        0.0,
        0.0,
        0.0,
    ]
    assert np.isnan(targets["issues"][6]).all()


def test_whole_video_form_shorthand_and_round_trip(tmp_path):
    annotation = read_annotation(
        write(tmp_path, {"runner": "ben", "form": {"score": 9, "issues": ["vertical_bounce"]}})
    )
    assert annotation.form == [FormSegment(0, None, 9.0, ("vertical_bounce",))]
    assert annotation.frame_targets(4)["form_score"].tolist() == [9.0] * 4
    assert (annotation.frame_targets(4)["phase"] == -1).all()
    again = read_annotation(write_annotation(tmp_path / "copy.gait.json", annotation))
    assert again == annotation


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"runner": ""}, r"field 'runner' must be a non-empty text"),
        ({"fps": -1}, r"field 'fps' must be a positive number, got -1"),
        ({"pace": 3}, r"unknown field\(s\) \['pace'\]"),
        (
            {"phases": [[0, "flight"]]},
            r"phases\[0\]: unknown phase 'flight' — use one of \['initial_contact'",
        ),
        ({"phases": [[5, "swing"], [5, "toe_off"]]}, r"phases\[1\] at frame 5 does not come after frame 5"),
        ({"phases": [[-1, "swing"]]}, r"phases\[0\] is \[-1, 'swing'\]"),
        ({"phases": [], "form": []}, r"has neither 'phases' nor 'form' labels"),
        (
            {"form": [{"start": 0, "end": 5, "score": 11, "issues": []}]},
            r"form\[0\]: score 11 is not a number in \[0, 10\]",
        ),
        (
            {"form": [{"start": 5, "end": 5, "score": 1, "issues": []}]},
            r"form\[0\]: frames 5\.\.5 are not a range",
        ),
        (
            {"form": [{"start": 0, "end": 5, "score": 1, "issues": ["heel"]}]},
            r"form\[0\]: unknown issue\(s\) \['heel'\]",
        ),
        (
            {"form": [{"start": 0, "end": 6, "score": 1}, {"start": 4, "end": 8, "score": 2}]},
            r"form\[1\] starts at frame 4, inside form\[0\] \(0\.\.6\)",
        ),
    ],
)
def test_invalid_annotations_name_file_and_field(tmp_path, change, message):
    with pytest.raises(DataFormatError, match=r"run\.gait\.json: " + message):
        read_annotation(write(tmp_path, {**VALID, **change}))


def test_broken_json_and_frames_beyond_the_video(tmp_path):
    path = tmp_path / "bad.gait.json"
    path.write_text('{"runner": "x",')
    with pytest.raises(DataFormatError, match=r"bad\.gait\.json: is not valid JSON \(line 1"):
        read_annotation(path)
    annotation = GaitAnnotation("x", phases=[(0, "swing"), (12, "toe_off")])
    with pytest.raises(
        DataFormatError, match=r"phases\[1\] starts at frame 12, but the recording has 10 frames"
    ):
        annotation.check_frames(path, 10)
