"""Targets of the workout task (seed 004): window class and a smoothed per-frame rep-start signal."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


def rep_targets(rep_starts: np.ndarray, length: int, half_width: float) -> np.ndarray:
    """Per-frame rep-start target: 1.0 on each start frame, Gaussian fall-off around it.

    ``half_width`` is the distance in frames where the target drops to 0.5 (seed 004: 0.5 at ±4
    frames). Where two starts are close, each frame takes the nearer start's value.
    """
    if len(rep_starts) == 0:
        return np.zeros(length, dtype=np.float32)
    sigma = half_width / math.sqrt(2 * math.log(2))
    t = np.arange(length)
    right = np.clip(np.searchsorted(rep_starts, t), 0, len(rep_starts) - 1)
    left = np.clip(right - 1, 0, len(rep_starts) - 1)
    distance = np.minimum(np.abs(t - rep_starts[left]), np.abs(t - rep_starts[right]))
    return np.exp(-(distance**2) / (2 * sigma**2)).astype(np.float32)


def majority_label(frame_labels: Tensor) -> Tensor:
    """Most frequent label of each window ``[M, W] -> [M]`` (ties: the smallest class index)."""
    return torch.mode(frame_labels, dim=1).values


def positive_ratio_weights(positive: Tensor, ratio: float) -> Tensor:
    """Sampling weights that make a fraction ``ratio`` of sampled windows positive.

    With no positives (or no negatives) sampling stays uniform.
    """
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return torch.ones(len(positive), dtype=torch.double)
    pos = torch.full((len(positive),), ratio / n_pos, dtype=torch.double)
    return torch.where(positive, pos, (1 - ratio) / n_neg)
