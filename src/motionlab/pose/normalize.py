"""Body-frame normalisation of landmark windows, as the first layer of a pose model.

Where a person stands in the picture and how large they appear says nothing about how they move. `BodyFrame`
expresses every window in the runner's own frame: ``x`` and ``y`` relative to the window's mean hip
midpoint, and ``x``, ``y``, ``z`` in units of the window's mean torso length (shoulder midpoint to
hip midpoint), so the model sees the same numbers at any distance and position. Motion within the
window (the hips rising and falling, the body travelling across the picture) is kept; visibility
passes through. It is part of the model, so an exported model takes MediaPipe's landmarks as they
come.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from motionlab.pose.landmarks import COORDINATES, INDEX, NUM_LANDMARKS

_HIPS = [INDEX["left_hip"], INDEX["right_hip"]]
_SHOULDERS = [INDEX["left_shoulder"], INDEX["right_shoulder"]]
# Torso lengths below this (in image units) are treated as this, so a degenerate pose cannot divide by 0.
MIN_TORSO = 1e-3


class BodyFrame(nn.Module):
    """``[B, T, 132]`` MediaPipe landmark features → the same layout in the window's body frame."""

    def forward(self, x: Tensor) -> Tensor:
        batch, frames, _ = x.shape
        points = x.reshape(batch, frames, NUM_LANDMARKS, len(COORDINATES))
        xy = points[..., :2]
        hips = xy[:, :, _HIPS].mean(dim=2)  # [B, T, 2]
        shoulders = xy[:, :, _SHOULDERS].mean(dim=2)
        centre = hips.mean(dim=1)[:, None, None]  # [B, 1, 1, 2]
        torso = (shoulders - hips).norm(dim=-1).mean(dim=1).clamp(min=MIN_TORSO)[:, None, None, None]
        normalised = torch.cat([(xy - centre) / torso, points[..., 2:3] / torso, points[..., 3:]], dim=-1)
        return normalised.reshape(batch, frames, -1)
