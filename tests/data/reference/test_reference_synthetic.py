"""The synthetic biped gait cycles: deterministic, seamless loops, distinct gaits and speeds, cached."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from motionlab.data.reference import synthetic
from motionlab.data.reference.format import read_reference_dir
from motionlab.data.reference.synthetic import (
    BIPED_JOINTS,
    GAITS,
    SAMPLE_VERSION,
    ensure_reference_sample,
    generate_reference_dataset,
)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("gaits")
    generate_reference_dataset(path, speeds=3, variants=2)
    return {clip.name: clip for clip in read_reference_dir(path)}


def test_one_looping_cycle_per_gait_speed_and_variant(clips) -> None:
    assert sorted(clips) == sorted(f"{g}_s{s}_v{v}" for g in GAITS for s in range(3) for v in range(2))
    for name, clip in clips.items():
        assert clip.loop and clip.fps == 50.0 and clip.joint_names == BIPED_JOINTS
        assert clip.meta["gait"] == name.split("_")[0]
        assert clip.meta["cadence_hz"] == pytest.approx(50.0 / len(clip), abs=1e-4)


def test_loops_are_seamless_and_smooth(clips) -> None:
    for clip in clips.values():
        q = clip.joints
        # second difference around the loop: where the loop closes (frames T-1 and 0) it is of the
        # size it has elsewhere (a jump of d radians would add d), so the last frame runs into the first
        acceleration = np.abs(np.roll(q, -1, axis=0) - 2 * q + np.roll(q, 1, axis=0)).max(axis=1)
        assert max(acceleration[0], acceleration[-1]) <= 1.2 * acceleration[1:-1].max()
        assert np.abs(np.diff(q, axis=0)).max() < 0.25  # radians per frame at 50 fps


def test_speed_raises_cadence_and_gaits_differ(clips) -> None:
    for gait in GAITS:
        cadences = [clips[f"{gait}_s{s}_v0"].meta["cadence_hz"] for s in range(3)]
        assert cadences == sorted(cadences) and cadences[0] < cadences[-1]
    knee = BIPED_JOINTS.index("left_knee")
    knee_range = {gait: np.ptp(clips[f"{gait}_s1_v0"].joints[:, knee]) for gait in GAITS}
    assert knee_range["march"] > knee_range["walk"] > knee_range["shuffle"]
    # variants of one gait and speed are close, but not copies
    difference = np.abs(clips["walk_s1_v0"].joints - clips["walk_s1_v1"].joints).mean()
    assert 0.003 < difference < 0.05


def test_generation_is_deterministic_and_adding_variants_keeps_existing_clips(tmp_path: Path, clips) -> None:
    generate_reference_dataset(tmp_path, gaits=["jog"], speeds=3, variants=3)
    again = {clip.name: clip for clip in read_reference_dir(tmp_path)}
    for name in ("jog_s0_v0", "jog_s2_v1"):
        np.testing.assert_array_equal(again[name].joints, clips[name].joints)


def test_bad_parameters_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown gait"):
        generate_reference_dataset(tmp_path, gaits=["moonwalk"])
    with pytest.raises(ValueError, match="at least 1"):
        generate_reference_dataset(tmp_path, speeds=0)


def test_sample_is_generated_once_per_parameter_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = synthetic.generate_reference_dataset

    def counting(out_dir: Path, **params: object) -> list[Path]:
        calls.append(params)
        return real(out_dir, **params)

    monkeypatch.setattr(synthetic, "generate_reference_dataset", counting)
    first = ensure_reference_sample(tmp_path, gaits=["walk"], speeds=1, variants=1)
    assert ensure_reference_sample(tmp_path, gaits=["walk"], speeds=1, variants=1, seed=0) == first
    assert len(calls) == 1 and first.name.startswith("reference-")
    assert sorted(p.name for p in first.iterdir()) == ["sample.json", "walk_s0_v0.json", "walk_s0_v0.npy"]
    assert f'"version": "{SAMPLE_VERSION}"' in (first / "sample.json").read_text()
    other = ensure_reference_sample(tmp_path, gaits=["walk"], speeds=1, variants=1, seed=1)
    assert other != first and len(calls) == 2
    assert sorted(os.listdir(tmp_path)) == sorted([first.name, other.name])  # no temp dirs left
    with pytest.raises(TypeError):
        ensure_reference_sample(tmp_path, styles=3)
