"""Per-feature normalisation statistics, fitted on the training split only."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

# Features whose training std is below this are treated as constant: dividing by ~0 would blow up.
MIN_STD = 1e-6


@dataclass(frozen=True)
class FeatureStats:
    mean: Tensor
    std: Tensor
    constant_features: list[str]


def fit_feature_stats(frames: Tensor, feature_names: list[str]) -> FeatureStats:
    """Mean and std of each feature column over ``frames [N, F]`` (float64 accumulation).

    Constant features get std 1 so they pass through centred instead of exploding.
    """
    values = frames.double()
    mean = values.mean(dim=0)
    std = values.std(dim=0, correction=0)
    constant = std < MIN_STD
    std = torch.where(constant, torch.ones_like(std), std)
    names = [name for name, flag in zip(feature_names, constant.tolist(), strict=True) if flag]
    return FeatureStats(mean.float(), std.float(), names)
