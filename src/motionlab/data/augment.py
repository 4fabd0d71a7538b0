"""Vectorised augmentation of whole training batches, on whatever device the batch is on.

Each transform draws one random parameter per window and applies it to the batch with tensor ops:
no per-window Python loop. Per-frame targets listed in ``frame_keys`` are time-warped together with
the input so that, e.g., a repetition-start target stays aligned with the motion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from motionlab.errors import ConfigError


@dataclass
class Augment:
    """Random transforms for training batches; all off (0) by default.

    Attributes:
        noise_std: Gaussian noise, in units of each feature's training-split standard deviation.
        time_warp: maximum relative change of playback speed (0.2 → speed in [0.8, 1.2]).
        warp_anchor: the point of the window that stays fixed when warping, as a fraction of its
            length (0.5 = centre; 1.0 = the last frame, for causal / forecasting windows).
        amplitude: maximum relative change of the range of motion around each window's mean.
        mirror_prob: probability of swapping left and right (needs a mirror permutation).
    """

    noise_std: float = 0.0
    time_warp: float = 0.0
    warp_anchor: float = 0.5
    amplitude: float = 0.0
    mirror_prob: float = 0.0

    def __post_init__(self) -> None:
        self.feature_std: Tensor | None = None
        self.mirror_index: Tensor | None = None
        self.mirror_sign: Tensor | None = None

    @property
    def active(self) -> bool:
        return any(v > 0 for v in (self.noise_std, self.time_warp, self.amplitude, self.mirror_prob))

    def set_feature_std(self, std: Tensor) -> None:
        self.feature_std = std.float()

    def set_mirror(self, index: Sequence[int], sign: Sequence[float]) -> None:
        """Mirror = ``x[..., index] * sign`` (a left/right column swap, with sign flips)."""
        self.mirror_index = torch.as_tensor(index, dtype=torch.long)
        self.mirror_sign = torch.as_tensor(sign, dtype=torch.float32)

    def __call__(self, batch: dict[str, Tensor], frame_keys: Sequence[str] = ()) -> dict[str, Tensor]:
        batch = dict(batch)
        x = batch["x"]
        if self.time_warp > 0:
            positions = warp_positions(x.shape[0], x.shape[1], self.time_warp, self.warp_anchor, x.device)
            for key in ("x", *frame_keys):
                batch[key] = resample_time(batch[key], positions)
            x = batch["x"]
        if self.amplitude > 0:
            factor = 1 + (torch.rand(x.shape[0], 1, 1, device=x.device) * 2 - 1) * self.amplitude
            mean = x.mean(dim=1, keepdim=True)
            x = mean + (x - mean) * factor
        if self.mirror_prob > 0:
            if self.mirror_index is None:
                raise ValueError("mirror_prob > 0 but no mirror permutation was configured")
            flip = torch.rand(x.shape[0], 1, 1, device=x.device) < self.mirror_prob
            mirrored = x[..., self.mirror_index.to(x.device)] * self.mirror_sign.to(x.device)
            x = torch.where(flip, mirrored, x)
        if self.noise_std > 0:
            std = self.feature_std.to(x.device) if self.feature_std is not None else 1.0
            x = x + torch.randn_like(x) * self.noise_std * std
        batch["x"] = x
        return batch


def warp_positions(
    batch: int, length: int, max_change: float, anchor: float, device, source_length: int | None = None
) -> Tensor:
    """Fractional source frame for every output frame, one random speed per window: ``[B, length]``.

    The source has ``source_length`` frames (default ``length``); the frame at fraction ``anchor`` of
    the output maps to the frame at the same fraction of the source, and positions are clamped to
    the source. A source longer than the output leaves room for faster playback without clamping
    (e.g. forecasting windows warped around their target frame, ``anchor=1``).
    """
    source_length = length if source_length is None else source_length
    speed = 1 + (torch.rand(batch, 1, device=device) * 2 - 1) * max_change
    t = torch.arange(length, device=device, dtype=torch.float32)
    positions = anchor * (source_length - 1) + (t - anchor * (length - 1)) * speed
    return positions.clamp(0, source_length - 1)


def resample_time(values: Tensor, positions: Tensor) -> Tensor:
    """Sample ``values [B, T, ...]`` at fractional frames ``positions [B, T]``.

    Floating-point values are linearly interpolated; integer values (class labels) take the
    nearest frame.
    """
    length = values.shape[1]
    extra = values.shape[2:]

    def take(idx: Tensor) -> Tensor:
        idx = idx.view(*idx.shape, *([1] * len(extra))).expand(*idx.shape, *extra)
        return torch.gather(values, 1, idx)

    if not values.is_floating_point():
        return take(positions.round().long())
    lower = positions.floor().long()
    upper = (lower + 1).clamp(max=length - 1)
    weight = (positions - lower).view(*positions.shape, *([1] * len(extra))).to(values.dtype)
    return take(lower) * (1 - weight) + take(upper) * weight


def mirror_permutation(
    feature_names: Sequence[str], pairs: Sequence[Sequence[str]] | str, negate: Sequence[str] = ()
) -> tuple[list[int], list[float]]:
    """Column permutation and signs that mirror a pose left ↔ right.

    ``pairs`` lists ``[left, right]`` feature names, or ``"auto"`` to pair every ``left…`` feature
    with the ``right…`` feature of the same name. ``negate`` names features whose sign flips
    (lateral tilts, rotations, x coordinates).
    """
    position = {name: i for i, name in enumerate(feature_names)}
    if pairs == "auto":
        pairs = [
            (name, "right" + name[len("left") :])
            for name in feature_names
            if name.startswith("left") and "right" + name[len("left") :] in position
        ]
    index = list(range(len(feature_names)))
    for pair in pairs:
        missing = [name for name in pair if name not in position]
        if len(pair) != 2 or missing:
            raise ConfigError(
                "data.augment.mirror_pairs",
                f"pair {list(pair)} names unknown feature(s) {missing}"
                if missing
                else f"{list(pair)} is not a pair",
                f"use names from the data's features: {list(feature_names)}",
            )
        a, b = position[pair[0]], position[pair[1]]
        index[a], index[b] = b, a
    unknown = [name for name in negate if name not in position]
    if unknown:
        raise ConfigError(
            "data.augment.mirror_negate",
            f"unknown feature(s) {unknown}",
            f"use names from {list(feature_names)}",
        )
    sign = [(-1.0 if name in set(negate) else 1.0) for name in feature_names]
    return index, sign
