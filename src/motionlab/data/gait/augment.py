"""Skeleton augmentation of landmark windows: small rotations and scaling about the hips, jitter.

Vectorised over the batch on its device: one random angle, scale and noise field per window, no
Python loop. Works on ``[B, T, 132]`` MediaPipe landmark features (`motionlab.pose.landmarks`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from motionlab.pose.landmarks import COORDINATES, INDEX, NUM_LANDMARKS

_HIPS = [INDEX["left_hip"], INDEX["right_hip"]]
_SHOULDERS = [INDEX["left_shoulder"], INDEX["right_shoulder"]]


@dataclass
class SkeletonAugment:
    """Random transforms of the skeleton in every training window; all off (0) by default.

    Attributes:
        rotation_deg: maximum in-plane rotation (camera roll) about the window's mean hip midpoint.
            Applied in normalised image coordinates, so on a non-square video it also shears a
            little; keep it small.
        scale: maximum relative change of the skeleton's width and of its height about the same
            point, drawn independently (camera distance, lens and aspect ratio); ``z`` scales with
            the width.
        jitter: Gaussian noise on ``x, y, z`` in units of the window's mean torso length (shoulder to
            hip midpoint), i.e. relative to the runner's size in the picture.
    """

    rotation_deg: float = 0.0
    scale: float = 0.0
    jitter: float = 0.0

    @property
    def active(self) -> bool:
        return any(v > 0 for v in (self.rotation_deg, self.scale, self.jitter))

    def __call__(self, x: Tensor) -> Tensor:
        batch, frames, _ = x.shape
        points = x.reshape(batch, frames, NUM_LANDMARKS, len(COORDINATES))
        xy, z, visibility = points[..., :2], points[..., 2:3], points[..., 3:]
        hips = xy[:, :, _HIPS].mean(dim=2, keepdim=True)  # [B, T, 1, 2]
        centre = hips.mean(dim=1, keepdim=True)  # [B, 1, 1, 2]
        angle = (torch.rand(batch, device=x.device) * 2 - 1) * math.radians(self.rotation_deg)
        factor = (1 + (torch.rand(batch, 1, 1, 2, device=x.device) * 2 - 1) * self.scale).to(x.dtype)
        cos, sin = torch.cos(angle), torch.sin(angle)
        rotation = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2).to(x.dtype)
        xy = centre + factor * torch.einsum("bij,btlj->btli", rotation, xy - centre)
        z = z * factor[..., :1]
        if self.jitter > 0:
            torso = (xy[:, :, _SHOULDERS].mean(dim=2) - xy[:, :, _HIPS].mean(dim=2)).norm(dim=-1).mean(dim=1)
            sigma = (self.jitter * torso).view(batch, 1, 1, 1)
            xy = xy + torch.randn_like(xy) * sigma
            z = z + torch.randn_like(z) * sigma
        return torch.cat([xy, z, visibility], dim=-1).reshape(batch, frames, -1)
