"""TrackingDataModule: session splits, forecast windows, augmentation that never corrupts the target."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from motionlab.data.tracking.datamodule import TrackingDataModule
from motionlab.data.tracking.format import write_tracking_file
from motionlab.errors import ConfigError, DataFormatError

SPLIT = {"fractions": [0.7, 0.15, 0.15], "seed": 0}


def ramp_sessions(tmp_path: Path, lengths: list[int], timestamps: bool = True) -> Path:
    """Sessions whose every feature is a line: feature j of session k at frame t is 100 k + t + 0.1 j."""
    sessions, stamps = [], []
    for k, length in enumerate(lengths):
        t = np.arange(length, dtype=np.float64)
        sessions.append(100 * k + t[:, None] + 0.1 * np.arange(12))
        stamps.append([f"2025-03-01T10:00:{s:09.6f}" for s in t / 30] if timestamps else None)
    return write_tracking_file(tmp_path / "ramps.json", sessions, stamps)


def make(path: Path, **overrides: Any) -> TrackingDataModule:
    settings: dict[str, Any] = {
        "path": str(path),
        "cache_dir": str(path.parent / "cache"),
        "sample": {},
        "fps": 30.0,
        "resample_fps": None,
        "sequence_length": 10,
        "horizon": 1,
        "stride": 1,
        "batch_size": 16,
        "split": SPLIT,
        "augment": {},
    }
    settings.update(overrides)
    dm = TrackingDataModule(**settings)
    dm.setup()
    return dm


def batch_of(dm: TrackingDataModule, split: str, training: bool, size: int = 64) -> dict[str, torch.Tensor]:
    dm.trainer = SimpleNamespace(training=training)
    windows = dm.windows[split]
    return dm.on_after_batch_transfer(windows.gather(torch.arange(min(size, len(windows)))), 0)


def test_sessions_never_share_a_split(tmp_path: Path, sample_cache: Path) -> None:
    sample = {"num_users": 2, "sessions_per_user": 5, "seconds": [10, 15]}
    dm = TrackingDataModule(
        path=None,
        cache_dir=str(sample_cache),
        sample=sample,
        fps=30.0,
        resample_fps=None,
        sequence_length=10,
        horizon=1,
        stride=1,
        split=SPLIT,
    )
    dm.setup()
    groups = {split: set(summary.groups) for split, summary in dm.report.splits.items()}
    assert sum(len(g) for g in groups.values()) == 10 == len(set.union(*groups.values()))
    for split, windows in dm.windows.items():
        assert {r.group for r in windows.recordings} == groups[split]
    assert all(groups.values())


def test_windows_are_the_inputs_and_the_frame_horizon_after_them(tmp_path: Path) -> None:
    path = ramp_sessions(tmp_path, [40] * 9)
    dm = make(path, horizon=3, eval_stride=1)
    batch = batch_of(dm, "val", training=False)
    x, target = batch["x"], batch["target"]
    assert x.shape == (len(target), 10, 12) and target.shape == (len(target), 12)
    # a line: the target is exactly `horizon` steps past the last input frame
    np.testing.assert_allclose(target - x[:, -1], 3.0, atol=1e-3)
    np.testing.assert_allclose(x[:, 1:] - x[:, :-1], 1.0, atol=1e-3)
    assert dm.spec.extras["sequence_length"] == 10 and dm.spec.extras["horizon"] == 3
    assert dm.spec.extras["joint_groups"]["left_arm"] == ["left_arm_x", "left_arm_y", "left_arm_z"]


def test_time_warp_plays_the_whole_window_at_one_speed_and_keeps_the_target_recorded(tmp_path: Path) -> None:
    torch.manual_seed(0)
    path = ramp_sessions(tmp_path, [60] * 9)
    dm = make(path, augment={"time_warp": 0.3})
    assert dm.window == 10 + 1 + 3  # 3 frames of margin for speeds up to 1.3
    batch = batch_of(dm, "train", training=True, size=256)
    x, target = batch["x"].double(), batch["target"].double()
    speed = x[:, -1, 0] - x[:, -2, 0]
    assert speed.min() < 0.8 and speed.max() > 1.2  # speeds really vary
    # constant speed through inputs and target: a line extrapolates exactly to the target
    np.testing.assert_allclose(x[:, 1:] - x[:, :-1], speed[:, None, None].expand(-1, 9, 12), atol=1e-3)
    np.testing.assert_allclose(target, x[:, -1] + speed[:, None], atol=1e-3)
    # the target is a recorded frame, never an interpolated one
    np.testing.assert_allclose(target[:, 0] % 1, 0.0, atol=1e-3)


def test_noise_touches_the_inputs_only_and_never_validation(tmp_path: Path) -> None:
    torch.manual_seed(0)
    path = ramp_sessions(tmp_path, [60] * 9)
    dm = make(path, augment={"noise_std": 0.1})
    clean = batch_of(dm, "train", training=False)
    noisy = batch_of(dm, "train", training=True)
    assert torch.equal(noisy["target"], clean["target"])
    added = (noisy["x"] - clean["x"]) / dm.feature_stats.std
    assert added.std().item() == pytest.approx(0.1, rel=0.1)
    val = batch_of(dm, "val", training=False)
    np.testing.assert_allclose(val["target"] - val["x"][:, -1], 1.0, atol=1e-3)


def test_amplitude_and_mirror_change_inputs_and_target_alike(tmp_path: Path) -> None:
    torch.manual_seed(0)
    dm = make(ramp_sessions(tmp_path, [60] * 9), augment={"amplitude": 0.3})
    batch = batch_of(dm, "train", training=True)
    step = batch["x"][:, -1] - batch["x"][:, -2]
    assert step.std() > 0.05  # the amplitude differs per window ...
    torch.testing.assert_close(
        batch["target"] - batch["x"][:, -1], step, atol=1e-3, rtol=0
    )  # ... consistently
    mirrored = make(
        ramp_sessions(tmp_path, [60] * 9),
        augment={"mirror_prob": 1.0, "mirror_pairs": "auto", "mirror_negate": ["head_y"]},
    )
    batch = batch_of(mirrored, "train", training=True)
    clean = batch_of(mirrored, "train", training=False)
    for key in ("x", "target"):
        torch.testing.assert_close(batch[key][..., 6:9], clean[key][..., 9:12])
        torch.testing.assert_close(batch[key][..., 1], -clean[key][..., 1])


def test_short_sessions_are_skipped_and_counted(tmp_path: Path) -> None:
    path = ramp_sessions(tmp_path, [40] * 9 + [10, 0])
    dm = make(path)
    assert [s["recording"] for s in dm.report.skipped] == ["ramps#9", "ramps#10"]
    assert dm.report.skipped[0]["reason"] == "10 frames is shorter than the 11-frame window"
    assert any("skipped 2 recording(s)" in w for w in dm.report.warnings)


def test_timing_is_reported_and_resampling_uses_the_timestamps(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    t = np.delete(np.arange(200) / 60 + rng.normal(0, 0.001, 200), [50, 51])  # 60 fps, 2 frames lost
    sessions = [1000 * k + np.repeat(t[:, None], 12, axis=1) for k in range(9)]
    stamps = [[f"2025-03-01T10:00:{s + 1:09.6f}" for s in t]] * 9
    path = write_tracking_file(tmp_path / "fast.json", sessions, stamps)
    dm = make(path, fps=30.0)
    timing = dm.report.to_dict()["timing"]
    assert timing["measured_fps"]["median"] == pytest.approx(60, rel=0.02)
    assert timing["gaps"] == 9 and timing["missing_frames"] == 18
    assert any("about 60.0 fps but data.fps is 30" in w for w in dm.report.warnings)
    resampled = make(path, fps=30.0, resample_fps=30.0)
    assert resampled.spec.fps == 30.0
    assert resampled.report.to_dict()["timing"]["resampled"]["frames_after"] == 9 * 100
    batch = batch_of(resampled, "val", training=False)
    np.testing.assert_allclose(batch["target"] - batch["x"][:, -1], 1 / 30, atol=2e-3)  # value = time


def test_resampling_needs_timestamps(tmp_path: Path) -> None:
    path = ramp_sessions(tmp_path, [40] * 9, timestamps=False)
    with pytest.raises(
        DataFormatError, match=r"ramps\.json \(session 0\): has no timestamps, so it cannot be"
    ):
        make(path, resample_fps=30.0)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"augment": {"warp_anchor": 0.5}}, "data.augment.warp_anchor"),
        ({"augment": {"time_warp": 1.0}}, "data.augment.time_warp"),
        ({"horizon": 0}, "data.horizon"),
        ({"sequence_length": 2.5}, "data.sequence_length"),
        ({"resample_fps": -1.0}, "data.fps"),
    ],
)
def test_bad_settings_name_the_config_key(tmp_path: Path, overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=f"^{key}: "):
        make(ramp_sessions(tmp_path, [40] * 9), **overrides)
