"""The synthetic workout generator: deterministic, well-formed, and shaped like real exercise."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import find_peaks, medfilt

from motionlab.data.recording import Recording, fill_gaps
from motionlab.data.workout import synthetic
from motionlab.data.workout.format import JOINT_ANGLES, WORKOUT_CLASSES, read_workout_dir
from motionlab.data.workout.synthetic import SAMPLE_VERSION, ensure_workout_sample, generate_workout_dataset

NO_EXERCISE = WORKOUT_CLASSES.index("no_exercise")
# The joint whose angle goes down and back up once per rep.
MAIN_JOINT = {"push_up": "elbow", "squat": "knee", "pull_up": "elbow", "dip": "elbow"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Recording]]:
    out = tmp_path_factory.mktemp("workout")
    generate_workout_dataset(out, num_subjects=3, sessions_per_subject=1, seed=0)
    return out, read_workout_dir(out)


def _signal(recording: Recording, angle: str) -> np.ndarray:
    """One angle (both sides averaged for a left/right pair), gaps interpolated, glitches median-filtered."""
    names = [angle] if angle in JOINT_ANGLES else [f"left_{angle}", f"right_{angle}"]
    x = recording.frames[:, [JOINT_ANGLES.index(n) for n in names]].mean(axis=1).astype(np.float64)
    t = np.arange(len(x))
    good = ~np.isnan(x)
    return medfilt(np.interp(t, t[good], x[good]), 5)


def _sets(recording: Recording) -> list[tuple[str, int, int, np.ndarray]]:
    """(exercise, first frame, end frame, rep starts) of each set: the runs of exercise frames."""
    exercising = np.concatenate([[False], recording.targets["label"] != NO_EXERCISE, [False]])
    edges = np.flatnonzero(np.diff(exercising.astype(np.int8)))
    starts = recording.events["rep_starts"]
    return [
        (WORKOUT_CLASSES[recording.targets["label"][a]], a, b, starts[(starts >= a) & (starts < b)])
        for a, b in zip(edges[::2], edges[1::2], strict=True)
    ]


def _arrays(directory: Path) -> dict[str, tuple[np.ndarray, ...]]:
    return {
        r.name: (r.frames, r.targets["label"], r.events["rep_starts"], r.group)
        for r in read_workout_dir(directory)
    }


def _assert_same(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> None:
    np.testing.assert_array_equal(a[0], b[0])  # NaN rows compare equal
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])
    assert a[3] == b[3]


def test_deterministic_and_adding_subjects_keeps_existing_ones(
    dataset: tuple[Path, list[Recording]], tmp_path: Path
) -> None:
    out, _ = dataset
    paths = generate_workout_dataset(tmp_path / "two", num_subjects=2, sessions_per_subject=1, seed=0)
    assert [p.name for p in paths] == ["subject00_s0.npz", "subject01_s0.npz"]
    three, two = _arrays(out), _arrays(tmp_path / "two")
    assert sorted(three) == ["subject00_s0", "subject01_s0", "subject02_s0"]
    for name, arrays in two.items():
        _assert_same(arrays, three[name])
    generate_workout_dataset(tmp_path / "other", num_subjects=1, sessions_per_subject=1, seed=1)
    other = _arrays(tmp_path / "other")["subject00_s0"]
    assert other[0].shape != three["subject00_s0"][0].shape or not np.allclose(
        other[0], three["subject00_s0"][0], equal_nan=True
    )


def test_sessions_are_well_formed(dataset: tuple[Path, list[Recording]]) -> None:
    _, recordings = dataset
    for recording in recordings:
        assert recording.fps == 30.0 and recording.group == recording.name.split("_")[0]
        assert 140 <= len(recording) / recording.fps <= 280  # ~2.5-4.5 minutes
        assert set(np.unique(recording.targets["label"])) == set(range(len(WORKOUT_CLASSES)))
        assert recording.targets["label"][:240].max() == NO_EXERCISE  # idle warm-up of at least 8 s
        assert recording.targets["label"][-240:].min() == NO_EXERCISE  # and cool-down
        sets = _sets(recording)
        assert 4 <= len(sets) <= 8
        for _, first, end, starts in sets:
            assert 5 <= len(starts) <= 15
            assert starts[0] == first  # a set starts with its first rep
            seconds = np.diff(np.append(starts, end)) / 30  # movement 1.4-3.2 s, plus short pauses
            assert seconds.min() >= 1.4 and seconds.max() <= 4.1
        # Every rep start is inside a set, so on an exercise frame.
        assert sum(len(s[3]) for s in sets) == len(recording.events["rep_starts"])
        rests = [b[1] - a[2] for a, b in itertools.pairwise(sets)]
        assert min(rests) >= 8 * 30 and max(rests) <= 45 * 30


def test_dropped_frames_are_sparse_short_and_fillable(dataset: tuple[Path, list[Recording]]) -> None:
    _, recordings = dataset
    for recording in recordings:
        missing = np.isnan(recording.frames)
        assert (missing.all(axis=1) == missing.any(axis=1)).all()  # whole rows only
        rows = missing.any(axis=1)
        assert 0.002 <= rows.mean() <= 0.006
        assert not rows[:5].any() and not rows[-5:].any()
        result = fill_gaps(recording, max_gap=3)  # raises on a run longer than 3
        assert result.interpolated_frames == rows.sum() and 1 <= result.longest_gap <= 3


def test_exercise_signatures(dataset: tuple[Path, list[Recording]]) -> None:
    """Each exercise moves the joints it should, over a realistic range, and leaves the others alone."""
    _, recordings = dataset
    seen = set()
    for recording in recordings:
        angle = {name: _signal(recording, name) for name in ("elbow", "knee", "shoulder_flexion")}
        angle["trunk"] = _signal(recording, "trunk_inclination")
        for exercise, a, b, _ in _sets(recording):
            seen.add(exercise)
            spread = {k: np.percentile(v[a:b], 95) - np.percentile(v[a:b], 5) for k, v in angle.items()}
            median = {k: np.median(v[a:b]) for k, v in angle.items()}
            if exercise == "push_up":
                assert spread["elbow"] > 60 and spread["knee"] < 15 and 65 < median["trunk"] < 100
            elif exercise == "squat":
                assert spread["knee"] > 60 and spread["trunk"] > 20 and spread["elbow"] < 25
            elif exercise == "pull_up":
                assert spread["elbow"] > 70 and spread["shoulder_flexion"] > 60 and median["trunk"] < 25
                assert median["shoulder_flexion"] > 90  # arms overhead while hanging
            else:
                assert spread["elbow"] > 45 and spread["knee"] < 15 and median["shoulder_flexion"] < -10
    assert seen == set(WORKOUT_CLASSES[:4])


def test_one_main_joint_minimum_per_rep_and_reps_start_at_the_top(
    dataset: tuple[Path, list[Recording]],
) -> None:
    _, recordings = dataset
    for recording in recordings:
        for exercise, a, b, starts in _sets(recording):
            main = _signal(recording, MAIN_JOINT[exercise])[a:b]
            minima, _ = find_peaks(-main, prominence=25, distance=20)
            assert len(minima) == len(starts), (recording.name, exercise, a)
            # Each rep starts at the top (start position), then reaches its one minimum.
            assert (np.percentile(main, 95) - main[starts - a] < 10).all()
            np.testing.assert_array_equal(
                np.searchsorted(starts - a, minima, side="right"), np.arange(1, len(starts) + 1)
            )


def test_idle_time_is_not_trivially_still(dataset: tuple[Path, list[Recording]]) -> None:
    """Everyday moves between sets bend the knees and elbows like an exercise onset would."""
    _, recordings = dataset
    knee = np.concatenate([_signal(r, "knee")[r.targets["label"] == NO_EXERCISE] for r in recordings])
    elbow = np.concatenate([_signal(r, "elbow")[r.targets["label"] == NO_EXERCISE] for r in recordings])
    assert knee.min() < 120 and elbow.min() < 110
    assert np.mean(knee < 150) > 0.02


def test_trajectories_are_continuous(dataset: tuple[Path, list[Recording]]) -> None:
    """Segments are blended: beyond noise, no angle jumps by more than 30 degrees between frames."""
    _, recordings = dataset
    for recording in recordings:
        for name in JOINT_ANGLES:
            assert np.abs(np.diff(_signal(recording, name))).max() < 30, (recording.name, name)


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="num_subjects"):
        generate_workout_dataset(tmp_path, num_subjects=0)
    with pytest.raises(ValueError, match="drop_fraction"):
        generate_workout_dataset(tmp_path, drop_fraction=0.5)


def test_ensure_sample_generates_once_per_parameter_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = synthetic.generate_workout_dataset

    def counting(out_dir: Path, **params: object) -> list[Path]:
        calls.append(params)
        return real(out_dir, **params)

    monkeypatch.setattr(synthetic, "generate_workout_dataset", counting)
    first = ensure_workout_sample(tmp_path, num_subjects=1, sessions_per_subject=1)
    mtime = first.stat().st_mtime_ns
    assert ensure_workout_sample(tmp_path, num_subjects=1, sessions_per_subject=1, seed=0) == first
    assert len(calls) == 1 and first.stat().st_mtime_ns == mtime
    assert first.name.startswith("workout-") and first.parent == tmp_path
    assert sorted(p.name for p in first.iterdir()) == ["sample.json", "subject00_s0.npz"]
    assert f'"version": "{SAMPLE_VERSION}"' in (first / "sample.json").read_text()
    other = ensure_workout_sample(tmp_path, num_subjects=1, sessions_per_subject=1, seed=1)
    assert other != first and len(calls) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, other.name])  # no temp dirs left
    with pytest.raises(TypeError):
        ensure_workout_sample(tmp_path, subjects=3)


def test_ensure_sample_loser_of_a_race_uses_the_winners_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = synthetic.generate_workout_dataset

    def slow_rank(out_dir: Path, **params: object) -> list[Path]:
        # Another process finishes first: the target appears while this one is still generating.
        target = out_dir.parent / out_dir.name.split(".tmp-")[0].lstrip(".")
        target.mkdir()
        (target / "winner.txt").write_text("complete")
        return real(out_dir, **params)

    monkeypatch.setattr(synthetic, "generate_workout_dataset", slow_rank)
    path = ensure_workout_sample(tmp_path, num_subjects=1, sessions_per_subject=1)
    assert (path / "winner.txt").read_text() == "complete"
    assert os.listdir(tmp_path) == [path.name]
