"""The built-in pose sample: deterministic, readable, imbalanced like seed 001's data, physically sensible."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from motionlab.data.csv_frames.format import PoseColumns, pose_csv_files, read_pose_csvs
from motionlab.data.csv_frames.synthetic import (
    ACTIVITIES,
    CSV_COLUMNS,
    POSE_FEATURES,
    SAMPLE_VERSION,
    ensure_pose_sample,
    generate_pose_dataset,
)

COLUMNS = PoseColumns(label="label", recording="video", subject="subject", frame="frame")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    directory = ensure_pose_sample(tmp_path_factory.mktemp("cache"), videos_per_source=12, num_subjects=6)
    return directory, read_pose_csvs(pose_csv_files(directory), COLUMNS, fps=30.0)


def test_same_arguments_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    first = generate_pose_dataset(tmp_path / "a", num_sources=1, videos_per_source=3, seed=4)
    again = generate_pose_dataset(tmp_path / "b", num_sources=1, videos_per_source=3, seed=4)
    other = generate_pose_dataset(tmp_path / "c", num_sources=1, videos_per_source=3, seed=5)
    assert first[0].read_bytes() == again[0].read_bytes() != other[0].read_bytes()
    assert first[0].read_text().splitlines()[0] == ",".join(CSV_COLUMNS)
    with pytest.raises(ValueError, match="missing_fraction"):
        generate_pose_dataset(tmp_path / "d", missing_fraction=0.5)


def test_sample_is_cached_per_parameter_set(sample) -> None:
    directory, _ = sample
    assert directory.name.startswith("pose-")
    assert sorted(p.name for p in directory.iterdir()) == [
        "sample.json",
        "source1.csv",
        "source2.csv",
        "source3.csv",
    ]
    manifest = json.loads((directory / "sample.json").read_text())
    assert manifest["version"] == SAMPLE_VERSION and manifest["videos_per_source"] == 12
    assert ensure_pose_sample(directory.parent, videos_per_source=12, num_subjects=6) == directory


def test_every_activity_subjects_across_cameras_and_seed_001_like_imbalance(sample) -> None:
    _, table = sample
    assert table.class_names == sorted(ACTIVITIES) and table.feature_names == list(POSE_FEATURES)
    assert len(table.recordings) == 36
    cameras_per_subject = {}
    for r in table.recordings:
        cameras_per_subject.setdefault(r.meta["subject"], set()).add(r.meta["file"])
    assert len(cameras_per_subject) == 6 and min(map(len, cameras_per_subject.values())) >= 2
    labels = np.concatenate([r.targets["label"] for r in table.recordings])
    share = np.bincount(labels, minlength=7) / len(labels)
    rare = table.class_names.index("standing_still")
    assert share[rare] == share.min() and 0.02 < share[rare] < 0.08  # seed 001: 3.3 %
    assert share.max() / share[rare] > 4


def test_missing_keypoints_are_short_interior_runs(sample) -> None:
    _, table = sample
    missing = [np.isnan(r.frames).any(axis=1) for r in table.recordings]
    assert 0.002 < np.concatenate(missing).mean() < 0.01
    for frames_missing in missing:
        assert not frames_missing[:5].any() and not frames_missing[-5:].any()
        runs = np.diff(np.flatnonzero(np.diff(np.r_[0, frames_missing.astype(int), 0])))[::2]
        assert runs.size == 0 or runs.max() <= 3
    partial = [np.isnan(r.frames).any(axis=1) & ~np.isnan(r.frames).all(axis=1) for r in table.recordings]
    assert np.concatenate(partial).any()  # an occluded elbow, not only whole lost detections


def segments(table, activity: str):
    c = table.class_names.index(activity)
    for r in table.recordings:
        labels = r.targets["label"]
        starts = np.flatnonzero(np.diff(labels, prepend=-1) != 0)
        for start, end in zip(starts, np.append(starts[1:], len(labels)), strict=True):
            if labels[start] == c:
                yield r.frames[start:end]


def feature(frames: np.ndarray, name: str) -> np.ndarray:
    return frames[:, POSE_FEATURES.index(name)]


def test_features_move_as_documented(sample) -> None:
    _, table = sample
    towards = [feature(s, "body_height") for s in segments(table, "walking_towards")]
    away = [feature(s, "body_height") for s in segments(table, "walking_away")]
    # the image of a person grows as they approach the camera and shrinks as they leave
    assert all(np.nanmean(h[-10:]) > 1.5 * np.nanmean(h[:10]) for h in towards)
    assert all(np.nanmean(h[-10:]) < 0.8 * np.nanmean(h[:10]) for h in away)
    knee = {
        a: np.nanmean([np.nanmean(feature(s, "left_knee_angle")) for s in segments(table, a)])
        for a in ACTIVITIES
    }
    assert knee["sitting_still"] < 110 < 165 < knee["standing_still"]
    across = np.nanmedian(
        np.concatenate([feature(s, "shoulder_width") for s in segments(table, "walking_across")])
    )
    facing = np.nanmedian(
        np.concatenate([feature(s, "shoulder_width") for s in segments(table, "standing_still")])
    )
    assert across < facing  # in profile the shoulders overlap
    # knees flex in antiphase while walking: their difference swings widely, standing it does not
    swing = np.nanstd(
        np.concatenate(
            [
                feature(s, "left_knee_angle") - feature(s, "right_knee_angle")
                for s in segments(table, "walking_away")
            ]
        )
    )
    still = np.nanstd(
        np.concatenate(
            [
                feature(s, "left_knee_angle") - feature(s, "right_knee_angle")
                for s in segments(table, "sitting_still")
            ]
        )
    )
    assert swing > 3 * still
    down = [feature(s, "hip_y") for s in segments(table, "sitting_down")]
    assert all(np.nanmean(y[-5:]) > np.nanmean(y[:5]) for y in down)  # hips go down (y grows downwards)
