"""SkeletonAugment: rotations, scaling and jitter of whole skeletons, vectorised over the batch."""

from __future__ import annotations

import math

import torch

from motionlab.data.gait.augment import SkeletonAugment
from motionlab.pose.landmarks import INDEX


def _batch(size: int = 64) -> torch.Tensor:
    torch.manual_seed(0)
    points = torch.rand(size, 30, 33, 4) * 0.3 + 0.35
    return points.reshape(size, 30, 132)


def _hip_centre(x: torch.Tensor) -> torch.Tensor:
    points = x.reshape(len(x), 30, 33, 4)
    return points[:, :, [INDEX["left_hip"], INDEX["right_hip"]], :2].mean(dim=(1, 2))


def _knee_to_nose(points: torch.Tensor) -> torch.Tensor:
    return (points[..., INDEX["left_knee"], :2] - points[..., INDEX["nose"], :2]).norm(dim=-1)


def test_rotation_keeps_lengths_and_hip_centre_and_stays_within_the_limit():
    x = _batch()
    out = SkeletonAugment(rotation_deg=10)(x)
    before, after = x.reshape(64, 30, 33, 4), out.reshape(64, 30, 33, 4)
    assert torch.allclose(_knee_to_nose(before), _knee_to_nose(after), atol=1e-5)
    assert torch.allclose(_hip_centre(x), _hip_centre(out), atol=1e-5)
    assert torch.equal(before[..., 2:], after[..., 2:])  # z and visibility untouched by a roll
    a, b = before[:, 0, 0, :2] - before[:, 0, 5, :2], after[:, 0, 0, :2] - after[:, 0, 5, :2]
    angle = torch.atan2(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0], (a * b).sum(-1)).abs()
    assert angle.max() <= math.radians(10) + 1e-4 and angle.max() > math.radians(7)  # windows differ


def test_scale_stretches_width_and_height_independently_about_the_hips():
    x = _batch()
    out = SkeletonAugment(scale=0.2)(x)
    before = (
        x.reshape(64, 30, 33, 4)[..., :3] - torch.cat([_hip_centre(x), torch.zeros(64, 1)], 1)[:, None, None]
    )
    after = (
        out.reshape(64, 30, 33, 4)[..., :3]
        - torch.cat([_hip_centre(out), torch.zeros(64, 1)], 1)[:, None, None]
    )
    ratio = (after / before)[:, 0, 0]  # [B, 3]: x, y, z factors of each window
    assert ((ratio > 0.8 - 1e-4) & (ratio < 1.2 + 1e-4)).all()
    assert torch.allclose(ratio[:, 2], ratio[:, 0], atol=1e-4)  # depth follows the width
    assert (ratio[:, 0] - ratio[:, 1]).abs().max() > 0.05


def test_jitter_is_scaled_by_the_torso_length():
    x = torch.zeros(256, 30, 33, 4)
    x[:, :, [INDEX["left_shoulder"], INDEX["right_shoulder"]], 1] = 0.2  # torso length 0.2
    out = SkeletonAugment(jitter=0.05)(x.reshape(256, 30, 132)).reshape(256, 30, 33, 4)
    noise = out[..., :3] - x[..., :3]
    assert abs(noise.std().item() - 0.05 * 0.2) < 0.0005
    assert torch.equal(out[..., 3], x[..., 3])
