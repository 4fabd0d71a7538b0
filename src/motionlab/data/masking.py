"""Random masks for masked-reconstruction pretraining, drawn for a whole batch on its device.

A mask is ``True`` where a value is hidden from the encoder and must be reconstructed. Two kinds
combine: spans of consecutive frames (every channel of those frames) and whole channels of a window
(every frame of that channel). Spans make the pretext task about motion rather than interpolation
between neighbouring frames; channel masks make it about how channels move together. Drawn with
tensor ops for the whole batch: no per-window Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from motionlab.errors import ConfigError


@dataclass(frozen=True)
class SpanMask:
    """Masks of ``[B, T, C]`` windows.

    Attributes:
        frame_ratio: expected share of frames hidden, in spans (0 = no frame spans).
        span: frames per span.
        channel_ratio: probability that a channel is hidden over a whole window (0 = none); a window
            whose every channel was drawn keeps them all (so one-channel data gets no channel masks).
    """

    frame_ratio: float
    span: int
    channel_ratio: float

    def __post_init__(self) -> None:
        if not (0 <= self.frame_ratio < 1 and 0 <= self.channel_ratio < 1 and self.span >= 1):
            raise ConfigError(
                "task.mask",
                f"frame_ratio={self.frame_ratio}, span={self.span}, channel_ratio={self.channel_ratio}",
                "use ratios in [0, 1) and a span of at least 1 frame",
            )
        if self.frame_ratio == 0 and self.channel_ratio == 0:
            raise ConfigError(
                "task.mask", "frame_ratio and channel_ratio are both 0: nothing to reconstruct", "set one > 0"
            )

    def __call__(
        self, shape: torch.Size, device: torch.device, generator: torch.Generator | None = None
    ) -> Tensor:
        """A boolean mask of ``shape`` ``[B, T, C]``.

        Span starts are drawn per frame with probability ``p`` such that a frame away from the window's
        start is covered by some span with probability ``1 - (1 - p) ** span = frame_ratio``; each
        start covers itself and the next ``span - 1`` frames (a max-pool over the starts).
        """
        batch, frames, channels = shape
        mask = torch.zeros(shape, dtype=torch.bool, device=device)
        if self.frame_ratio > 0:
            p = 1 - (1 - self.frame_ratio) ** (1 / self.span)
            starts = torch.rand(batch, 1, frames, device=device, generator=generator) < p
            covered = F.max_pool1d(F.pad(starts.float(), (self.span - 1, 0)), self.span, stride=1)
            mask |= covered.squeeze(1).bool().unsqueeze(-1)
        if self.channel_ratio > 0:
            hidden = torch.rand(batch, 1, channels, device=device, generator=generator) < self.channel_ratio
            mask |= hidden & ~hidden.all(dim=-1, keepdim=True)  # a window never loses every channel
        return mask


def visible_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Per window and channel, the mean of the values the mask leaves visible ``[B, 1, C]`` (0 where
    every value of a channel is hidden): the copy-mean baseline a reconstruction must beat."""
    visible = (~mask).to(values.dtype)
    return (values * visible).sum(dim=1, keepdim=True) / visible.sum(dim=1, keepdim=True).clamp(min=1)


def masked_mse(prediction: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean squared error over the masked positions only (0 when nothing is masked)."""
    weight = mask.to(prediction.dtype)
    return ((prediction - target).square() * weight).sum() / weight.sum().clamp(min=1)
