"""`ReferenceDataModule` on the built-in sample: splits by clip, target statistics, spec and report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from motionlab.data.reference.format import write_reference_clip
from motionlab.data.reference.synthetic import BIPED_JOINTS
from motionlab.data.splits import SPLITS
from tests.data.reference.test_reference_pairs import make_datamodule, write_clips

SMALL_SAMPLE = ["data.sample.gaits=[walk,jog,march]", "data.sample.speeds=2", "data.sample.variants=3"]


@pytest.fixture
def sample_datamodule(make_config):
    def make(*overrides: str):
        cfg = make_config("data=reference", "model=mlp", *SMALL_SAMPLE, *overrides, tiny=False)
        datamodule = instantiate(cfg.data, _convert_="all")
        datamodule.prepare_data()
        datamodule.setup("fit")
        return datamodule

    return make


def test_each_clip_lands_in_exactly_one_split(sample_datamodule) -> None:
    datamodule = sample_datamodule()
    members = {split: {r.name for r in datamodule.windows[split].recordings} for split in SPLITS}
    assert sum(len(m) for m in members.values()) == 18
    assert not (
        members["train"] & members["val"]
        or members["train"] & members["test"]
        or members["val"] & members["test"]
    )
    for split in SPLITS:  # every window of a split comes from one of its clips
        windows = datamodule.windows[split]
        assert {windows.recordings[i].name for i in windows.recording_index.unique().tolist()} == members[
            split
        ]
    assert datamodule.report.unit == "clip" and datamodule.report.splits["train"].groups == sorted(
        members["train"]
    )


def test_split_by_a_sidecar_key_keeps_its_values_together(sample_datamodule) -> None:
    datamodule = sample_datamodule("data.split.by=gait")
    gaits = {split: {r.meta["gait"] for r in datamodule.windows[split].recordings} for split in SPLITS}
    assert sorted(g for split in SPLITS for g in gaits[split]) == ["jog", "march", "walk"]


def test_spec_and_target_statistics_come_from_the_training_pairs(sample_datamodule) -> None:
    datamodule = sample_datamodule("data.history=3", "data.target=delta")
    spec = datamodule.spec
    assert spec.window == 3 and spec.fps == 50.0
    assert spec.feature_names == [*BIPED_JOINTS, "phase_sin", "phase_cos"]  # no velocities by default
    windows = datamodule.windows["train"]
    targets = datamodule.pairs(windows.gather(torch.arange(len(windows))))["target"].double()
    np.testing.assert_allclose(spec.extras["target_mean"], targets.mean(0).numpy(), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(spec.extras["target_std"], targets.std(0, correction=0).numpy(), rtol=1e-4)
    assert spec.extras["history"] == 3 and spec.extras["target"] == "delta"
    assert spec.extras["state"] == {
        "joint_names": list(BIPED_JOINTS),
        "fps": 50.0,
        "velocities": False,
        "phase": True,
        "command": [],
    }
    assert {clip["name"] for clip in spec.extras["train_clips"]} == {r.name for r in windows.recordings}
    # each training loop gives one pair per frame
    assert len(windows) == sum(clip["frames"] for clip in spec.extras["train_clips"])


def test_too_short_clips_are_skipped_and_counted(tmp_path: Path) -> None:
    write_clips(tmp_path, short=np.zeros((3, 2), dtype=np.float32))
    datamodule = make_datamodule(tmp_path)
    report = datamodule.report.to_dict()
    assert [s["recording"] for s in report["recordings"]["skipped"]] == ["short"]
    assert report["clips"]["train"] == {"looping": 1, "frames": 9}
    assert report["pairs"]["state_features"][-2:] == ["phase_sin", "phase_cos"]


def test_mirroring_without_left_right_joints_is_reported(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        write_reference_clip(
            tmp_path / f"{name}.npy", np.ones((6, 2)) * np.arange(6)[:, None], ["x", "y"], 10, False
        )
    datamodule = make_datamodule(
        tmp_path,
        split={"by": "clip", "val": ["b"], "test": ["c"]},
        augment={"mirror_prob": 0.5, "mirror_pairs": "auto"},
    )
    assert any("no left_*/right_* joint pairs" in warning for warning in datamodule.report.warnings)
    assert datamodule.spec.feature_names == ["x", "y", "x_vel", "y_vel"]  # nothing loops: no phase
