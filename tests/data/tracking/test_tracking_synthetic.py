"""The synthetic tracking sample: deterministic, cached, readable, and shaped like tracker output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import savgol_filter

from motionlab.data.tracking import synthetic
from motionlab.data.tracking.format import read_tracking_path
from motionlab.data.tracking.synthetic import (
    SAMPLE_VERSION,
    ensure_tracking_sample,
    generate_tracking_dataset,
)
from motionlab.data.tracking.timing import session_timing

SMALL = {"num_users": 2, "sessions_per_user": 2, "seconds": (20.0, 30.0)}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tracking")
    generate_tracking_dataset(out, **SMALL, glitches_per_minute=6.0, drops_per_minute=6.0)
    return out


def test_deterministic_and_adding_users_keeps_existing_ones(sample: Path, tmp_path: Path) -> None:
    generate_tracking_dataset(
        tmp_path, **{**SMALL, "num_users": 1}, glitches_per_minute=6.0, drops_per_minute=6.0
    )
    assert sorted(p.name for p in sample.iterdir()) == ["user00.json", "user01.json"]
    assert (tmp_path / "user00.json").read_text() == (sample / "user00.json").read_text()
    generate_tracking_dataset(tmp_path / "other", **{**SMALL, "seed": 1})
    assert (tmp_path / "other" / "user00.json").read_text() != (sample / "user00.json").read_text()


def test_sessions_have_the_requested_length_timestamps_and_plausible_ranges(sample: Path) -> None:
    recordings = read_tracking_path(sample, fps=30.0)
    assert [r.name for r in recordings] == ["user00#0", "user00#1", "user01#0", "user01#1"]
    for recording in recordings:
        timing = session_timing(recording.meta["time"])
        assert 20 * 30 * 0.95 <= len(recording) <= 30 * 30
        assert timing.fps == pytest.approx(30, rel=0.01) and not timing.irregular
        rotations, arms = recording.frames[:, :6], recording.frames[:, 6:]
        assert np.abs(rotations).max() < 120 and np.abs(arms).max() < 1.5
    frames = np.concatenate([r.frames for r in recordings])
    assert (frames.std(axis=0)[:6] > 1.0).all() and (frames.std(axis=0)[6:] > 0.05).all()  # everything moves
    # the tracker loses frames now and then: timestamps show the gaps
    assert sum(session_timing(r.meta["time"]).missing_frames for r in recordings) >= 4


def test_motion_is_smooth_under_jitter_with_rare_glitches(sample: Path) -> None:
    recordings = read_tracking_path(sample, fps=30.0)
    scale = np.concatenate([r.frames for r in recordings]).std(axis=0)
    flagged = 0
    for recording in recordings:
        frames = recording.frames.astype(np.float64)
        residual = frames - savgol_filter(frames, 7, 2, axis=0)  # what a local quadratic cannot explain
        jitter = 1.4826 * np.median(np.abs(residual), axis=0)  # robust sd
        assert (jitter[:6] < 0.4).all() and (jitter[6:] < 0.005).all()  # a fraction of a degree / cm
        spikes = (np.abs(residual) > 8 * jitter).any(axis=1)
        assert spikes.mean() < 0.05  # glitches are rare (each one shows on ~7 frames of the residual)
        flagged += int(spikes.sum())
    assert flagged > 0
    # the next frame is close to the last one: repeating it leaves a small normalised error
    steps = np.concatenate([np.diff(r.frames, axis=0) for r in recordings]) / scale
    assert (steps**2).mean() < 0.03


def test_ensure_sample_caches_by_parameters_and_hides_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = synthetic.generate_tracking_dataset

    def counting(out_dir: Path, **params: object) -> list[Path]:
        calls.append(params)
        return real(out_dir, **params)

    monkeypatch.setattr(synthetic, "generate_tracking_dataset", counting)
    params = {"num_users": 1, "sessions_per_user": 1, "seconds": [5, 6]}
    first = ensure_tracking_sample(tmp_path, **params)
    assert ensure_tracking_sample(tmp_path, **{**params, "seconds": (5.0, 6.0), "seed": 0}) == first
    assert len(calls) == 1 and first.name == "sessions" and first.parent.name.startswith("tracking-")
    assert [p.name for p in first.iterdir()] == ["user00.json"]
    assert json.loads((first.parent / "sample.json").read_text())["version"] == SAMPLE_VERSION
    assert len(read_tracking_path(first, fps=30.0)) == 1
    with pytest.raises(TypeError):
        ensure_tracking_sample(tmp_path, users=3)
