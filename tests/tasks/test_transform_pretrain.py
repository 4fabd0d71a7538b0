"""task=pretrain_transforms (transformation recognition) with real runs: the vectorised transformations
and rotations, the pretext learning above chance on real recordings of held-out people, fine-tuning
from it with init_from, and the errors for settings the data cannot take."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from hydra.errors import InstantiationException

from motionlab.data.pretext_transforms import (
    TransformRecognition,
    axis_triplets,
    permute_segments,
    rotate_triplets,
    rotation_matrices,
    smooth_time_warp,
)
from motionlab.errors import ConfigError
from motionlab.runs.sources import run_source
from motionlab.training.run import train
from tests.helpers import QUIET_CPU, compose_config
from tests.tasks.test_pretrain_task import EncoderAtStart, pose_pretrain, write_csv


def test_rotations_are_proper_within_the_angle_asked_and_turn_each_triplet_together():
    for degrees in (30.0, 180.0):
        r = rotation_matrices(4000, degrees, "cpu", torch.Generator().manual_seed(0))
        assert torch.allclose(r @ r.transpose(1, 2), torch.eye(3).expand_as(r), atol=1e-5)
        assert torch.allclose(torch.linalg.det(r), torch.ones(4000), atol=1e-5)
        angle = torch.rad2deg(torch.acos(((r.diagonal(dim1=1, dim2=2).sum(-1) - 1) / 2).clamp(-1, 1)))
        assert angle.max() <= degrees + 1e-3 and (angle.max() > 170 if degrees == 180 else angle.max() > 29)
    x = torch.randn(8, 20, 7)
    r = rotation_matrices(8, 180.0, "cpu")
    turned = rotate_triplets(x, torch.tensor([[0, 1, 2], [4, 5, 6]]), r)
    assert torch.equal(turned[..., 3], x[..., 3])  # not in a triplet: untouched
    for columns in ([0, 1, 2], [4, 5, 6]):
        assert torch.allclose(
            turned[..., columns], torch.einsum("bij,btj->bti", r, x[..., columns]), atol=1e-5
        )
    names = ["acc_x", "acc_y", "acc_z", "temp", "gyroX", "gyroY", "gyroZ", "mag_x"]
    assert axis_triplets(names) == [["acc_x", "acc_y", "acc_z"], ["gyroX", "gyroY", "gyroZ"]]


def test_transformations_apply_to_half_the_windows_and_keep_what_each_should():
    x = torch.arange(10.0).view(1, 10, 1).expand(4000, 10, 2).clone()
    shuffled = permute_segments(x, 4)  # 4 segments of 2 frames; frames 8-9 stay last
    assert torch.equal(shuffled.sort(1).values, x) and torch.equal(shuffled[:, 8:], x[:, 8:])
    assert torch.equal(shuffled[:, ::2] + 1, shuffled[:, 1::2])  # segments move whole
    warped = smooth_time_warp(x, 0.3, 6)
    assert torch.allclose(warped[:, [0, -1]], x[:, [0, -1]], atol=1e-4)  # same start and end
    assert (warped.diff(dim=1) > 0).all() and not torch.allclose(warped, x)  # monotonic, not identical
    pretext = TransformRecognition(["reverse"])
    out, applied = pretext(x, torch.Generator().manual_seed(3))
    assert applied.shape == (4000, 1) and 0.47 < applied.float().mean() < 0.53
    assert torch.equal(out[applied[:, 0]], x[applied[:, 0]].flip(1))
    assert torch.equal(out[~applied[:, 0]], x[~applied[:, 0]])
    again, _ = TransformRecognition()(x, torch.Generator().manual_seed(3))
    assert torch.equal(again, TransformRecognition()(x, torch.Generator().manual_seed(3))[0])
    with pytest.raises(ConfigError, match=r"task\.pretext\.transforms"):
        TransformRecognition(["mirror"])


@pytest.fixture(scope="module")
def transform_run(shoulder_exercises, tmp_path_factory) -> Path:
    """experiment=imu_pretrain_transforms on shoulder_exercises' training people, labels ignored; a
    short run (3 epochs, stride 10, rate 3e-3) of the recipe's encoder."""
    log_dir = tmp_path_factory.mktemp("transforms")
    overrides = [
        "experiment=imu_pretrain_transforms",
        *shoulder_exercises,
        *QUIET_CPU,
        "trainer.max_epochs=3",
        "data.stride=10",
        "task.optimizer.lr=3e-3",
    ]
    cfg = compose_config(overrides, log_dir, log_dir / "cache")
    train(cfg)
    return Path(cfg.paths.output_dir)


def test_the_pretext_learns_above_chance_on_held_out_people(transform_run):
    summary = json.loads((transform_run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["data"]["test"]["recordings"] == 42
    test = summary["test_metrics"]
    # thousands of windows of 3 people it never saw: chance is ln 2 and one half per transformation
    assert test["test/loss"] < math.log(2) - 0.01 and test["test/accuracy"] > 0.55
    report = json.loads((transform_run / "evaluation_report.json").read_text())
    assert report["rotation"]["triplets"] == [["acc_x", "acc_y", "acc_z"], ["gyro_x", "gyro_y", "gyro_z"]]
    assert report["accuracy"]["permute"] == pytest.approx(test["test/accuracy/permute"])
    with pytest.raises(ConfigError, match="TransformPretrainTask run: there is nothing to export"):
        run_source(transform_run)


def test_init_from_a_transform_pretraining_run_loads_its_encoder(transform_run, basic_motions, tmp_path):
    overrides = [
        "experiment=imu_tcn",
        *basic_motions,
        *QUIET_CPU,
        "trainer.max_epochs=1",
        f"init_from={transform_run}",
    ]
    cfg = compose_config(overrides, tmp_path, tmp_path / "cache")
    watch = EncoderAtStart()
    train(cfg, [watch])
    source = torch.load(transform_run / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
    encoder = [name for name in source if name.startswith("encoder.")]
    assert "encoder.input_projection.weight" in encoder  # the same six features: the input block too
    assert all(torch.equal(watch.state[name], source[name]) for name in encoder)
    summary = json.loads((Path(cfg.paths.output_dir) / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert summary["init_from"]["skipped"]["transform_head.0.weight"] == "not in this model"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["task.rotate.max_degrees=180"], r"task\.rotate\.triplets.*no <name>_x/_y/_z"),
        (
            ["task.rotate.triplets=[[a,b,q]]", "task.rotate.max_degrees=30"],
            r"task\.rotate\.triplets.*\[\['a', 'b', 'q'\]\]",
        ),
    ],
)
def test_rotating_features_that_are_not_3d_vectors_says_what_to_do(tmp_path, extra, message):
    csv = write_csv(tmp_path / "two.csv", recordings=8, frames=60)
    # (Hydra wraps the task's ConfigError in its own error when it builds the task)
    with pytest.raises(InstantiationException, match=message):
        train(pose_pretrain(csv, tmp_path, "task=pretrain_transforms", *extra))
