"""The reference clip format (.npy + optional sidecar): round trips, and one clear error per broken rule."""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from motionlab.data.reference.format import read_reference_clip, read_reference_dir, write_reference_clip
from motionlab.errors import DataFormatError

NAMES = ["left_knee", "right_knee", "neck_pitch"]


def _clip(
    tmp_path: Path, name: str = "walk", array: Any = None, sidecar: Any = None, suffix: str = ".json"
) -> Path:
    """Write a clip with plain np.save (bypassing the writer's checks) and an optional sidecar (a str is
    written as it is, anything else as JSON)."""
    path = tmp_path / f"{name}.npy"
    array = np.arange(12, dtype=np.float32).reshape(4, 3) / 10 if array is None else array
    np.save(path, array)
    if sidecar is not None:
        text = sidecar if isinstance(sidecar, str) else json.dumps(sidecar)
        path.with_suffix(suffix).write_text(text)
    return path


def _raises(path: Path, pattern: str) -> AbstractContextManager[Any]:
    """Expect a DataFormatError whose message starts with the file and then matches ``pattern``."""
    return pytest.raises(DataFormatError, match=f"^{re.escape(str(path))}: .*{pattern}")


def test_writer_and_reader_round_trip_with_sidecar_metadata(tmp_path: Path) -> None:
    joints = np.random.default_rng(0).normal(size=(5, 3))
    path = write_reference_clip(tmp_path / "walk.npy", joints, NAMES, 50, True, gait="walk", speed_level=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walk.json", "walk.npy"]  # no temp files left
    clip = read_reference_clip(path)
    np.testing.assert_allclose(clip.joints, joints.astype(np.float32))
    assert clip.joints.dtype == np.float32 and clip.joint_names == tuple(NAMES)
    assert (clip.name, clip.fps, clip.loop, clip.source) == ("walk", 50.0, True, str(path))
    assert clip.meta == {"gait": "walk", "speed_level": 2}


def test_a_bare_npy_gets_default_names_fps_and_loop(tmp_path: Path) -> None:
    path = _clip(tmp_path, array=np.arange(8, dtype=np.int16).reshape(4, 2))
    clip = read_reference_clip(path, default_fps=25.0, default_loop=True)
    assert clip.joint_names == ("joint_0", "joint_1") and clip.fps == 25.0 and clip.loop
    assert clip.joints.dtype == np.float32


def test_yaml_sidecar_is_read(tmp_path: Path) -> None:
    path = _clip(
        tmp_path, sidecar="joint_names: [a, b, c]\nfps: 60\nloop: false\nperformer: p1\n", suffix=".yaml"
    )
    clip = read_reference_clip(path)
    assert clip.joint_names == ("a", "b", "c") and clip.fps == 60.0 and not clip.loop
    assert clip.meta == {"performer": "p1"}


@pytest.mark.parametrize(
    ("array", "pattern"),
    [
        (np.zeros((4, 3, 2), dtype=np.float32), r"has shape \(4, 3, 2\); a clip is a 2-D array"),
        (np.zeros(6, dtype=np.float32), r"reshape it to \[T, 1\]"),
        (np.zeros((4, 0), dtype=np.float32), "no joint columns"),
        (np.zeros((1, 3), dtype=np.float32), r"has 1 frame\(s\); a clip needs at least 2"),
        (np.array([["a", "b"], ["c", "d"]]), "dtype <U1 is not a real number type"),
        (np.ones((3, 2), dtype=bool), "dtype bool is not a real number type"),
        (np.ones((3, 2), dtype=np.complex64), "dtype complex64 is not a real number type"),
    ],
)
def test_bad_arrays_are_rejected_naming_the_file(tmp_path: Path, array: np.ndarray, pattern: str) -> None:
    path = _clip(tmp_path, array=array)
    with _raises(path, pattern):
        read_reference_clip(path)


def test_nan_is_reported_with_frame_and_joint(tmp_path: Path) -> None:
    array = np.zeros((6, 3), dtype=np.float32)
    array[4, 1] = np.nan
    array[5, 0] = np.inf
    path = _clip(tmp_path, array=array, sidecar={"joint_names": NAMES})
    with _raises(path, r"NaN at frame 4, joint 'right_knee' \(2 frame\(s\) affected\) — .*interpolate"):
        read_reference_clip(path)


def test_unreadable_files_are_rejected(tmp_path: Path) -> None:
    text = tmp_path / "text.npy"
    text.write_text("not an array")
    with _raises(text, "not a plain .npy array"):
        read_reference_clip(text)
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with _raises(pickled, "pickled objects"):
        read_reference_clip(pickled)
    archive = tmp_path / "archive.npy"
    with archive.open("wb") as handle:
        np.savez(handle, joints=np.zeros((3, 2)))
    with _raises(archive, r"is an .npz archive"):
        read_reference_clip(archive)


@pytest.mark.parametrize(
    ("sidecar", "pattern"),
    [
        ({"joint_names": ["a", "b"]}, "'joint_names' lists 2 names but the clip has 3 joint columns"),
        ({"joint_names": ["a", "a", "b"]}, r"'joint_names' repeats \['a'\]"),
        ({"joint_names": "abc"}, "'joint_names' must be a list of non-empty strings"),
        ({"fps": 0}, "'fps' must be a positive number, got 0"),
        ({"fps": "fast"}, "'fps' must be a positive number"),
        ({"loop": "yes"}, "'loop' must be true or false, got 'yes'"),
        ({"clip": "other"}, r"key\(s\) \['clip'\] are set by the reader"),
        ([1, 2], "holds a list, not a mapping"),
    ],
)
def test_bad_sidecars_are_rejected_naming_the_sidecar(tmp_path: Path, sidecar: Any, pattern: str) -> None:
    path = _clip(tmp_path, sidecar=sidecar)
    with _raises(path.with_suffix(".json"), pattern):
        read_reference_clip(path)


def test_broken_or_ambiguous_sidecars_are_rejected(tmp_path: Path) -> None:
    path = _clip(tmp_path, sidecar="{not json", suffix=".json")
    with _raises(path.with_suffix(".json"), "is not valid JSON"):
        read_reference_clip(path)
    path.with_suffix(".yml").write_text("fps: 50\n")
    with _raises(path.with_suffix(".json"), r"2 sidecars describe clip 'walk'.*keep one"):
        read_reference_clip(path)


def test_clips_of_a_directory_must_agree_on_joints_and_fps(tmp_path: Path) -> None:
    _clip(tmp_path, "a", sidecar={"joint_names": NAMES, "fps": 50})
    other = _clip(tmp_path, "b", array=np.zeros((4, 2), dtype=np.float32), sidecar={"fps": 50})
    with _raises(
        other, r"has 2 joints but .*a\.npy has 3 — every clip of a dataset must have the same joints"
    ):
        read_reference_dir(tmp_path)
    _clip(tmp_path, "b", sidecar={"joint_names": ["left_knee", "right_knee", "head"], "fps": 50})
    with _raises(other, r"joint names differ .*missing \['neck_pitch'\], unexpected \['head'\]"):
        read_reference_dir(tmp_path)
    _clip(tmp_path, "b", sidecar={"joint_names": NAMES, "fps": 30})
    with _raises(other, r"frame rate 30.0 differs from 50.0 .*resample"):
        read_reference_dir(tmp_path)


def test_columns_are_reordered_to_the_first_clips_joint_order(tmp_path: Path) -> None:
    _clip(tmp_path, "a", sidecar={"joint_names": NAMES})
    array = np.arange(12, dtype=np.float32).reshape(4, 3)
    _clip(tmp_path, "b", array=array, sidecar={"joint_names": ["neck_pitch", "left_knee", "right_knee"]})
    _, second = read_reference_dir(tmp_path)
    assert second.joint_names == tuple(NAMES)
    np.testing.assert_array_equal(second.joints, array[:, [1, 2, 0]])


def test_directory_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such reference clip"):
        read_reference_dir(tmp_path / "missing")
    with _raises(tmp_path, "no .npy or .json reference clips found"):
        read_reference_dir(tmp_path)
    first = _clip(tmp_path, "walk")
    (tmp_path / "take2").mkdir()
    duplicate = _clip(tmp_path / "take2", "walk")  # sorts first: take2/walk.npy < walk.npy
    with _raises(first, f"clip id 'walk' is also used by {re.escape(str(duplicate))}"):
        read_reference_dir(tmp_path)
