"""Transformations for transformation-recognition pretraining, drawn for a whole batch on its device.

The pretext (ssl-wearables, Yuan et al. 2024) applies each of a few transformations to a window with
probability one half and asks the encoder which ones were applied: played backwards (the arrow of
time), cut into segments that are shuffled (the order of the movement's phases), time-warped with a
smooth random speed (the rhythm). Body-worn sensors are also rotated in 3-D, the accelerometer and the
gyroscope of a window by the same rotation, as an augmentation the encoder must see through (a watch
sits a little differently every time). Every draw is one tensor op for the whole batch: no per-window
Python loop; a ``generator`` makes it repeatable (validation and test).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from motionlab.data.augment import resample_time
from motionlab.errors import ConfigError

TRANSFORMS = ("reverse", "permute", "warp")
_AXIS = re.compile(r"^(.*?)[_ ]?([xyz])$", re.IGNORECASE)


def rotation_matrices(
    count: int, max_degrees: float, device: torch.device | str, generator: torch.Generator | None = None
) -> Tensor:
    """``[count, 3, 3]`` random rotations: about a uniformly random axis by an angle uniform in
    ``[0, max_degrees]``; ``max_degrees >= 180`` draws uniformly over all rotations (a random unit
    quaternion)."""
    if max_degrees >= 180:
        quaternion = torch.randn(count, 4, device=device, generator=generator)
        w, x, y, z = (quaternion / quaternion.norm(dim=1, keepdim=True)).unbind(1)
    else:
        axis = torch.randn(count, 3, device=device, generator=generator)
        axis = axis / axis.norm(dim=1, keepdim=True)
        angle = torch.rand(count, device=device, generator=generator) * math.radians(max_degrees)
        w = torch.cos(angle / 2)
        x, y, z = (axis * torch.sin(angle / 2).unsqueeze(1)).unbind(1)
    rows = [
        (1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
        (2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
        (2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)),
    ]
    return torch.stack([torch.stack(row, -1) for row in rows], -2)


def rotate_triplets(x: Tensor, triplets: Tensor, rotations: Tensor) -> Tensor:
    """``x [B, T, F]`` with each triplet of feature columns (``triplets [K, 3]``, e.g. acc x/y/z and
    gyro x/y/z) rotated by its window's rotation ``[B, 3, 3]``; other columns unchanged."""
    columns = triplets.reshape(-1).to(x.device)
    vectors = x[..., columns].unflatten(-1, (-1, 3))  # [B, T, K, 3]
    rotated = torch.einsum("bij,btkj->btki", rotations.to(x.dtype), vectors)
    return x.index_copy(-1, columns, rotated.flatten(-2))


def axis_triplets(feature_names: Sequence[str]) -> list[list[str]]:
    """Every ``<stem>_x, <stem>_y, <stem>_z`` trio of feature names (``acc_x``, ``gyro_y``, ``magZ``),
    in feature order: the 3-D vectors a rotation turns together."""
    axes: dict[str, dict[str, str]] = {}
    for name in feature_names:
        match = _AXIS.match(name)
        if match:
            axes.setdefault(match.group(1), {})[match.group(2).lower()] = name
    return [[found[a] for a in "xyz"] for found in axes.values() if len(found) == 3]


def permute_segments(x: Tensor, segments: int, generator: torch.Generator | None = None) -> Tensor:
    """``x [B, T, ...]`` cut into ``segments`` equal runs of frames, shuffled per window (frames past
    the last whole segment stay at the end)."""
    batch, frames = x.shape[:2]
    length = frames // segments
    order = torch.rand(batch, segments, device=x.device, generator=generator).argsort(1)
    source = (order.unsqueeze(-1) * length + torch.arange(length, device=x.device)).flatten(1)
    tail = torch.arange(segments * length, frames, device=x.device).expand(batch, -1)
    index = torch.cat([source, tail], 1)
    return x.gather(1, index.view(*index.shape, *[1] * (x.dim() - 2)).expand_as(x))


def smooth_time_warp(x: Tensor, sigma: float, knots: int, generator: torch.Generator | None = None) -> Tensor:
    """``x [B, T, F]`` replayed at a smoothly varying speed (``knots`` random speeds ``1 ± sigma``,
    linearly interpolated over the window), stretched so that it still starts and ends where it did."""
    batch, frames = x.shape[:2]
    speed = 1 + sigma * torch.randn(batch, 1, knots, device=x.device, generator=generator)
    speed = F.interpolate(speed, size=frames, mode="linear", align_corners=True).squeeze(1).clamp(min=0.2)
    position = speed.cumsum(1)
    position = (position - position[:, :1]) / (position[:, -1:] - position[:, :1]) * (frames - 1)
    return resample_time(x, position)


@dataclass(frozen=True)
class TransformRecognition:
    """Which transformations the pretext applies and asks about (each with probability one half).

    Attributes:
        transforms: names from ``reverse``, ``permute``, ``warp``.
        segments: how many segments ``permute`` shuffles.
        warp_sigma: spread of ``warp``'s random speeds around 1.
        warp_knots: how many random speeds ``warp`` interpolates over a window.
    """

    transforms: tuple[str, ...] = TRANSFORMS
    segments: int = 4
    warp_sigma: float = 0.3
    warp_knots: int = 6

    def __post_init__(self) -> None:
        object.__setattr__(self, "transforms", tuple(self.transforms))  # a config's list
        unknown = [name for name in self.transforms if name not in TRANSFORMS]
        if unknown or not self.transforms or len(set(self.transforms)) != len(self.transforms):
            raise ConfigError(
                "task.pretext.transforms",
                f"{list(self.transforms)}",
                f"list one or more of {list(TRANSFORMS)}, each once",
            )
        if self.segments < 2 or self.warp_sigma <= 0 or self.warp_knots < 2:
            raise ConfigError(
                "task.pretext",
                f"segments={self.segments}, warp_sigma={self.warp_sigma}, warp_knots={self.warp_knots}",
                "use at least 2 segments, a warp_sigma > 0 and at least 2 warp_knots",
            )

    def __call__(self, x: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """``x [B, T, F]`` with each transformation applied to a random half of the windows, in the
        order listed, and which ones were applied ``[B, len(transforms)]`` (bool)."""
        applied = torch.rand(x.shape[0], len(self.transforms), device=x.device, generator=generator) < 0.5
        for i, name in enumerate(self.transforms):
            if name == "reverse":
                changed = x.flip(1)
            elif name == "permute":
                changed = permute_segments(x, self.segments, generator)
            else:
                changed = smooth_time_warp(x, self.warp_sigma, self.warp_knots, generator)
            x = torch.where(applied[:, i, None, None], changed, x)
        return x, applied
