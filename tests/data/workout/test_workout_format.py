"""The workout .npz format: round trips, and one clear error per broken invariant."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from motionlab.data.workout.format import (
    FIELDS,
    JOINT_ANGLES,
    WORKOUT_CLASSES,
    read_workout_dir,
    read_workout_session,
    write_workout_session,
)
from motionlab.errors import DataFormatError

FRAMES = 10


def _fields(**overrides: Any) -> dict[str, Any]:
    """A valid 10-frame session as raw npz fields, with ``overrides`` applied (None drops a field)."""
    rng = np.random.default_rng(0)
    fields = {
        "angles": rng.uniform(0, 180, (FRAMES, len(JOINT_ANGLES))).astype(np.float32),
        "angle_names": np.asarray(JOINT_ANGLES),
        "labels": np.asarray(["no_exercise"] * 2 + ["squat"] * 6 + ["no_exercise"] * 2),
        "rep_starts": np.array([2, 5], dtype=np.int64),
        "subject": np.asarray("alice"),
        "fps": np.asarray(30.0),
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def _npz(tmp_path: Path, name: str = "session.npz", **overrides: Any) -> Path:
    """Write the fields with plain np.savez, bypassing the writer's checks (to make broken files)."""
    path = tmp_path / name
    np.savez(path, **_fields(**overrides))
    return path


def _raises(path: Path, pattern: str) -> AbstractContextManager[Any]:
    """Expect a DataFormatError whose message starts with the file and then matches ``pattern``."""
    return pytest.raises(DataFormatError, match=f"^{re.escape(str(path))}: .*{pattern}")


def test_round_trip_maps_labels_to_indices(tmp_path: Path) -> None:
    fields = _fields()
    fields["angles"][3] = np.nan  # a dropped frame stays NaN
    path = write_workout_session(
        tmp_path / "day1.npz", fields["angles"], list(fields["labels"]), [2, 5], "alice", 30.0
    )
    recording = read_workout_session(path)
    np.testing.assert_array_equal(recording.frames, fields["angles"])
    assert recording.frames.dtype == np.float32
    np.testing.assert_array_equal(recording.targets["label"], [4, 4, 1, 1, 1, 1, 1, 1, 4, 4])
    assert recording.targets["label"].dtype == np.int64
    np.testing.assert_array_equal(recording.events["rep_starts"], [2, 5])
    assert recording.events["rep_starts"].dtype == np.int64
    assert (recording.name, recording.group, recording.fps) == ("day1", "alice", 30.0)
    assert recording.feature_names == list(JOINT_ANGLES)
    assert recording.source == str(path)
    assert recording.meta == {"subject": "alice"}


def test_written_file_is_plain_arrays_and_leaves_no_temp_file(tmp_path: Path) -> None:
    fields = _fields(angles=_fields()["angles"].astype(np.float64))
    path = write_workout_session(
        tmp_path / "s.npz", fields["angles"], fields["labels"], [], "alice", 25, angle_names=JOINT_ANGLES
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npz"]
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(FIELDS)
        assert archive["angles"].dtype == np.float32
        assert archive["rep_starts"].dtype == np.int64 and archive["rep_starts"].shape == (0,)
        assert archive["subject"].shape == () and archive["subject"].item() == "alice"
        assert archive["fps"].item() == 25.0


def test_columns_written_in_another_order_are_reordered(tmp_path: Path) -> None:
    fields = _fields()
    shuffled = np.random.default_rng(1).permutation(len(JOINT_ANGLES))
    names = [JOINT_ANGLES[i] for i in shuffled]
    path = write_workout_session(
        tmp_path / "s.npz", fields["angles"][:, shuffled], fields["labels"], [2], "bob", 30, angle_names=names
    )
    recording = read_workout_session(path)
    np.testing.assert_array_equal(recording.frames, fields["angles"])
    assert recording.feature_names == list(JOINT_ANGLES)


def test_reader_accepts_integer_angles_bytes_text_and_infinite_values(tmp_path: Path) -> None:
    angles = np.full((FRAMES, len(JOINT_ANGLES)), 90, dtype=np.int16)
    path = _npz(tmp_path, angles=angles, labels=_fields()["labels"].astype("S"), subject=np.asarray(b"bob"))
    recording = read_workout_session(path)
    assert recording.frames.dtype == np.float32 and (recording.frames == 90).all()
    assert recording.group == "bob"
    inf = _fields()["angles"]
    inf[4, 0] = np.inf  # fill_gaps reports infinities with their frame; the reader keeps them
    assert np.isinf(read_workout_session(_npz(tmp_path, "inf.npz", angles=inf)).frames[4, 0])


def test_rep_start_on_a_no_exercise_frame_is_allowed(tmp_path: Path) -> None:
    recording = read_workout_session(_npz(tmp_path, rep_starts=np.array([0, 9])))
    np.testing.assert_array_equal(recording.events["rep_starts"], [0, 9])


def test_extra_fields_are_ignored(tmp_path: Path) -> None:
    recording = read_workout_session(_npz(tmp_path, notes=np.asarray("felt good")))
    assert len(recording) == FRAMES


def test_custom_class_names(tmp_path: Path) -> None:
    path = _npz(tmp_path, labels=np.asarray(["rest"] * 5 + ["lunge"] * 5))
    recording = read_workout_session(path, class_names=("lunge", "rest"))
    np.testing.assert_array_equal(recording.targets["label"], [1] * 5 + [0] * 5)


def test_truncated_file(tmp_path: Path) -> None:
    path = write_workout_session(tmp_path / "s.npz", _fields()["angles"], _fields()["labels"], [2], "a", 30)
    path.write_bytes(path.read_bytes()[:200])
    with _raises(path, "not a readable .npz archive .*re-export the session"):
        read_workout_session(path)


def test_corrupt_member_data(tmp_path: Path) -> None:
    path = _npz(tmp_path)
    data = bytearray(path.read_bytes())
    start = data.index(b"angles.npy") + 200  # inside the stored angles, past the local header
    data[start : start + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with _raises(path, "field 'angles' cannot be read"):
        read_workout_session(path)


def test_text_file_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "notes.npz"
    path.write_text("angles,labels\n1,2\n")
    with _raises(path, "not a readable .npz archive"):
        read_workout_session(path)


def test_single_npy_array(tmp_path: Path) -> None:
    path = tmp_path / "s.npz"
    with path.open("wb") as f:
        np.save(f, _fields()["angles"])
    with _raises(path, "single .npy array"):
        read_workout_session(path)


def test_pickled_object_array(tmp_path: Path) -> None:
    path = _npz(tmp_path, labels=np.array(list(_fields()["labels"]), dtype=object))
    with _raises(path, "field 'labels' is a pickled object array.*dtype=str"):
        read_workout_session(path)


def test_missing_fields_are_listed_with_the_present_ones(tmp_path: Path) -> None:
    path = _npz(tmp_path, rep_starts=None, fps=None)
    with _raises(path, re.escape("missing field(s) ['rep_starts', 'fps']; the file has ['angle_names', ")):
        read_workout_session(path)


@pytest.mark.parametrize(
    ("angles", "pattern"),
    [
        (np.zeros(FRAMES), r"field 'angles' must be 2-D \[frames, angles\], got shape \(10,\)"),
        (np.full((FRAMES, 25), "x"), "field 'angles' has dtype <U1, which is not a real number"),
        (np.zeros((FRAMES, 25), dtype=complex), "field 'angles' has dtype complex128"),
        (np.zeros((FRAMES, 25), dtype=bool), "field 'angles' has dtype bool"),
        (np.zeros((FRAMES, 24)), "field 'angles' has 24 columns but field 'angle_names' has 25 names"),
    ],
)
def test_bad_angles(tmp_path: Path, angles: np.ndarray, pattern: str) -> None:
    path = _npz(tmp_path, angles=angles)
    with _raises(path, pattern):
        read_workout_session(path)


def test_empty_recording(tmp_path: Path) -> None:
    path = _npz(tmp_path, angles=np.zeros((0, 25)), labels=np.array([], dtype=str), rep_starts=np.array([]))
    with _raises(path, "field 'angles' has 0 frames"):
        read_workout_session(path)


def test_missing_angle_names_are_listed(tmp_path: Path) -> None:
    names = [name.replace("left_knee", "knee_l") for name in JOINT_ANGLES]
    path = _npz(tmp_path, angle_names=np.asarray(names))
    expected = "field 'angle_names' lacks 1 expected angle(s): ['left_knee']; unknown column(s) ['knee_l']"
    with _raises(path, re.escape(expected)):
        read_workout_session(path)


def test_unknown_extra_columns_are_listed(tmp_path: Path) -> None:
    angles = np.zeros((FRAMES, 26), dtype=np.float32)
    path = _npz(tmp_path, angles=angles, angle_names=np.asarray([*JOINT_ANGLES, "left_pinky"]))
    with _raises(path, re.escape("field 'angle_names' has unknown column(s) ['left_pinky']")):
        read_workout_session(path)


def test_repeated_angle_names(tmp_path: Path) -> None:
    names = [*JOINT_ANGLES[:-1], "left_elbow"]
    path = _npz(tmp_path, angle_names=np.asarray(names))
    with _raises(path, re.escape("field 'angle_names' repeats ['left_elbow']")):
        read_workout_session(path)


def test_labels_of_the_wrong_length(tmp_path: Path) -> None:
    path = _npz(tmp_path, labels=_fields()["labels"][:9])
    with _raises(path, "field 'labels' has 9 entries but field 'angles' has 10 frames"):
        read_workout_session(path)


def test_unknown_label_names_its_first_frame(tmp_path: Path) -> None:
    labels = _fields()["labels"].astype("<U20")
    labels[7] = "burpee"
    labels[3] = "zumba"  # sorts after 'burpee' but occurs first
    path = _npz(tmp_path, labels=labels)
    pattern = "unknown label 'zumba' at frame 3 .*'no_exercise'.*add it to data.classes or relabel"
    with _raises(path, pattern):
        read_workout_session(path)


@pytest.mark.parametrize(
    ("rep_starts", "pattern"),
    [
        (np.array([2.0, 5.0]), "field 'rep_starts' must be a 1-D integer array.*float64"),
        (np.array([[2, 5]]), r"field 'rep_starts' must be a 1-D integer array.*shape \(1, 2\)"),
        (np.array([2, 5, 3]), "not strictly increasing: value 5 at position 1 is followed by 3.*np.unique"),
        (np.array([2, 5, 5]), "not strictly increasing: value 5 at position 1 is followed by 5"),
        (np.array([2, 10]), r"field 'rep_starts' value 10 \(position 1\) is outside the frames \[0, 10\)"),
        (np.array([-1, 2]), r"field 'rep_starts' value -1 \(position 0\) is outside"),
    ],
)
def test_bad_rep_starts(tmp_path: Path, rep_starts: np.ndarray, pattern: str) -> None:
    path = _npz(tmp_path, rep_starts=rep_starts)
    with _raises(path, pattern):
        read_workout_session(path)


@pytest.mark.parametrize("fps", [np.asarray(0.0), np.asarray(-30), np.asarray(np.nan), np.asarray("30")])
def test_bad_fps(tmp_path: Path, fps: np.ndarray) -> None:
    path = _npz(tmp_path, fps=fps)
    with _raises(path, "field 'fps' must be a positive number"):
        read_workout_session(path)


@pytest.mark.parametrize("subject", [np.asarray(7), np.asarray(""), np.asarray(["alice"])])
def test_bad_subject(tmp_path: Path, subject: np.ndarray) -> None:
    path = _npz(tmp_path, subject=subject)
    with _raises(path, "field 'subject' must be a non-empty str scalar"):
        read_workout_session(path)


def test_writer_validates_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "s.npz"
    labels = ["squat"] * 9 + ["plank"]
    with _raises(path, "unknown label 'plank' at frame 9"):
        write_workout_session(path, _fields()["angles"], labels, [2], "alice", 30)
    with _raises(path, "field 'rep_starts' value 12"):
        write_workout_session(path, _fields()["angles"], ["squat"] * FRAMES, [2, 12], "alice", 30)
    assert list(tmp_path.iterdir()) == []


def test_writer_replaces_an_existing_file(tmp_path: Path) -> None:
    fields = _fields()
    path = write_workout_session(tmp_path / "s.npz", fields["angles"], fields["labels"], [2], "alice", 30)
    write_workout_session(path, fields["angles"] + 1, fields["labels"], [2, 4], "alice", 30)
    recording = read_workout_session(path)
    np.testing.assert_array_equal(recording.frames, fields["angles"] + 1)
    np.testing.assert_array_equal(recording.events["rep_starts"], [2, 4])


def test_read_dir_is_recursive_sorted_and_accepts_a_file(tmp_path: Path) -> None:
    for name in ("b/s2.npz", "a/s3.npz", "s1.npz"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        _npz(tmp_path, name)
    (tmp_path / "readme.txt").write_text("not a session")
    assert [r.name for r in read_workout_dir(tmp_path)] == ["s3", "s2", "s1"]
    assert [r.name for r in read_workout_dir(tmp_path / "s1.npz")] == ["s1"]


def test_read_dir_rejects_repeated_session_ids(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    _npz(tmp_path, "s1.npz")
    _npz(tmp_path, "a/s1.npz")
    with _raises(tmp_path / "s1.npz", "session id 's1' is also used by"):
        read_workout_dir(tmp_path)


def test_read_dir_without_sessions_says_what_the_format_is(tmp_path: Path) -> None:
    (tmp_path / "session.csv").write_text("a,b\n")
    with _raises(tmp_path, "no .npz workout sessions found.*angles, angle_names.*'Workout sessions'"):
        read_workout_dir(tmp_path)
    with pytest.raises(FileNotFoundError, match="missing"):
        read_workout_dir(tmp_path / "missing")


def test_class_vocabulary() -> None:
    assert WORKOUT_CLASSES == ("push_up", "squat", "pull_up", "dip", "no_exercise")
    assert len(JOINT_ANGLES) == 25 and len(set(JOINT_ANGLES)) == 25
