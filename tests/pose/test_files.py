"""Landmark files (.npy, .npz, .csv): round trips and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from motionlab.errors import DataFormatError
from motionlab.pose.files import read_landmarks, write_landmarks
from motionlab.pose.landmarks import feature_names


def _landmarks(frames: int = 5) -> np.ndarray:
    values = np.random.default_rng(0).uniform(0, 1, (frames, 33, 4)).astype(np.float32)
    values[2] = np.nan  # a frame without a pose
    return values


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv"])
def test_round_trip_keeps_values_and_frames_without_a_pose(tmp_path, suffix):
    path = write_landmarks(tmp_path / f"run{suffix}", _landmarks(), fps=25.0)
    values, fps = read_landmarks(path)
    np.testing.assert_allclose(values, _landmarks(), rtol=1e-6)
    assert fps == (25.0 if suffix == ".npz" else None)


def test_flat_132_column_arrays_are_accepted(tmp_path):
    np.save(tmp_path / "flat.npy", _landmarks().reshape(5, 132))
    assert read_landmarks(tmp_path / "flat.npy")[0].shape == (5, 33, 4)


def test_csv_frame_column_marks_skipped_frames_as_missing(tmp_path):
    header = ",".join(["frame", *feature_names()])
    rows = [",".join([str(frame)] + ["0.5"] * 132) for frame in (0, 1, 4)]
    (tmp_path / "gaps.csv").write_text("\n".join([header, *rows]) + "\n")
    values, _ = read_landmarks(tmp_path / "gaps.csv")
    assert values.shape == (5, 33, 4)
    assert np.isnan(values[2:4]).all() and not np.isnan(values[[0, 1, 4]]).any()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "short.npy",
            np.zeros((4, 33, 3)),
            r"short\.npy: landmarks have shape \[4, 33, 3\] — expected \[T, 33, 4\]",
        ),
        ("inf.npy", np.full((2, 132), np.inf), r"inf\.npy: infinite value at frame 0, feature 'nose_x'"),
        (
            "vis.npy",
            np.full((2, 33, 4), 1.5),
            r"vis\.npy: visibility 1\.5 outside \[0, 1\] at frame 0, landmark 0",
        ),
        ("empty.npy", np.zeros((0, 132)), r"empty\.npy: has no frames"),
    ],
)
def test_bad_arrays_name_the_file_and_the_problem(tmp_path, name, content, message):
    np.save(tmp_path / name, content)
    with pytest.raises(DataFormatError, match=message):
        read_landmarks(tmp_path / name)


def test_bad_csv_and_npz_name_the_row_column_or_field(tmp_path):
    (tmp_path / "cols.csv").write_text("nose_x,nose_y\n1,2\n")
    with pytest.raises(DataFormatError, match=r"cols\.csv: header row: missing column\(s\) \['nose_z'"):
        read_landmarks(tmp_path / "cols.csv")
    cells = ["0.5"] * 132
    cells[5] = "abc"
    (tmp_path / "cell.csv").write_text(",".join(feature_names()) + "\n" + ",".join(cells) + "\n")
    with pytest.raises(
        DataFormatError, match=r"cell\.csv: row 2, column 'left_eye_inner_y': 'abc' is not a number"
    ):
        read_landmarks(tmp_path / "cell.csv")
    np.savez(tmp_path / "field.npz", points=np.zeros((2, 132)))
    with pytest.raises(DataFormatError, match=r"field\.npz: no field 'landmarks' \(fields: \['points'\]\)"):
        read_landmarks(tmp_path / "field.npz")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(DataFormatError, match=r"junk\.npz: not a readable NumPy file"):
        read_landmarks(tmp_path / "junk.npz")
