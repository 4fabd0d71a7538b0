"""Label files of workout videos: what they mean per frame, and errors that name file, field and fix."""

from __future__ import annotations

import numpy as np
import pytest

from motionlab.data.workout.labels import labels_path, parse_labels, read_labels
from motionlab.errors import DataFormatError

GOOD = {
    "subject": "anna",
    "segments": [
        {"exercise": "push_up", "start": 1.0, "end": 3.0, "reps": [1.2, 2.1]},
        {"exercise": "squat", "start": 3.0, "end": 4.5, "reps": [3.5]},
    ],
}


def test_segments_and_reps_become_per_frame_labels_and_rep_frames(tmp_path):
    path = labels_path(tmp_path / "anna_01.mp4")
    assert path.name == "anna_01.labels.yaml"
    path.write_text(
        "subject: anna\nsegments:\n"
        "  - {exercise: push_up, start: 1.0, end: 3.0, reps: [1.2, 2.1]}\n"
        "  - {exercise: squat, start: 3.0, end: 4.5, reps: [3.5]}\n"
    )
    labels = read_labels(path)
    names, reps = labels.frame_labels(frames=150, fps=30.0, video_fps=30.0)
    assert labels.subject == "anna" and len(names) == 150
    assert set(names[:30]) == {"no_exercise"} and set(names[30:90]) == {"push_up"}
    assert set(names[90:135]) == {"squat"} and set(names[135:]) == {"no_exercise"}
    np.testing.assert_array_equal(reps, [36, 63, 105])
    # on a 60 fps grid the same seconds are twice the frames
    names60, reps60 = labels.frame_labels(frames=300, fps=60.0, video_fps=30.0)
    assert (names60[::2] == names).all() and reps60.tolist() == [72, 126, 210]


def test_frame_units_count_video_frames(tmp_path):
    data = {"unit": "frames", "segments": [{"exercise": "dip", "start": 60, "end": 120, "reps": [70, 90]}]}
    labels = parse_labels(tmp_path / "x.labels.yaml", data)
    # the video is 60 fps, the sessions 30 fps: video frame 70 is session frame 35
    names, reps = labels.frame_labels(frames=90, fps=30.0, video_fps=60.0)
    assert set(names[30:60]) == {"dip"} and reps.tolist() == [35, 45] and labels.subject is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"segments": [{"exercise": "pushup", "start": 0, "end": 1}]},
            r"segments\[0\]\.exercise: unknown exercise 'pushup' — did you mean 'push_up'",
        ),
        ({"segments": [{**GOOD["segments"][0], "end": 0.5}]}, r"segments\[0\]: end 0.5 is not after start 1"),
        (
            {"segments": GOOD["segments"][::-1]},
            r"segments\[1\] starts at 1, before segments\[0\] ends \(3\.\.4\.5 seconds\) — sort",
        ),
        (
            {"segments": [{**GOOD["segments"][0], "reps": [2.1, 1.2]}]},
            r"segments\[0\]\.reps\[1\] = 1.2 does not come after",
        ),
        (
            {"segments": [{**GOOD["segments"][0], "reps": [3.5]}]},
            r"segments\[0\]\.reps\[0\] = 3.5 is outside its segment 1\.\.3 seconds",
        ),
        (
            {"segments": [{**GOOD["segments"][0], "start": "1s"}]},
            r"segments\[0\]\.start is '1s', not a time in seconds >= 0",
        ),
        (
            {"unit": "frames", "segments": [{"exercise": "dip", "start": 1.5, "end": 9}]},
            r"not a whole frame number",
        ),
        ({"unit": "minutes"}, r"field 'unit' is 'minutes' — use one of \['seconds', 'frames'\]"),
        ({"segment": []}, r"unknown field\(s\) \['segment'\]"),
        (
            {"segments": [{**GOOD["segments"][0], "rep": [1.5]}]},
            r"segments\[0\]: unknown field\(s\) \['rep'\]",
        ),
        (
            {"segments": [{"exercise": "no_exercise", "start": 0, "end": 1, "reps": [0.5]}]},
            r"no_exercise segment lists reps",
        ),
    ],
)
def test_label_errors_name_the_file_the_field_and_the_fix(tmp_path, change, message):
    path = tmp_path / "bad.labels.yaml"
    with pytest.raises(DataFormatError, match=message) as error:
        parse_labels(path, {**GOOD, **change})
    assert str(error.value).startswith(str(path))


def test_times_beyond_the_video_and_broken_yaml_are_reported(tmp_path):
    labels = parse_labels(tmp_path / "a.labels.yaml", GOOD)
    with pytest.raises(
        DataFormatError,
        match=r"segments\[1\]\.end: the segment 3\.\.4\.5 seconds reaches beyond the video, which is 4\.00 s",
    ):
        labels.frame_labels(frames=120, fps=30.0, video_fps=30.0)
    path = tmp_path / "broken.labels.yaml"
    path.write_text("segments:\n  - exercise: squat\n   start: 1\n")
    with pytest.raises(DataFormatError, match=r"broken.labels.yaml: is not valid YAML \(line 3, column 4\)"):
        read_labels(path)
