"""Per-feature normalisation statistics, fitted on the training split only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor

from motionlab.data.mapped import MappedArray

# Features whose training std is below this are treated as constant: dividing by ~0 would blow up.
MIN_STD = 1e-6
# Rows per block when statistics are accumulated over a split block by block.
CHUNK_ROWS = 1 << 16


@dataclass(frozen=True)
class FeatureStats:
    mean: Tensor
    std: Tensor
    constant_features: list[str]


def fit_feature_stats(chunks: Iterable[Tensor], feature_names: list[str]) -> FeatureStats:
    """Mean and std of each feature column over the rows of all ``chunks`` (``[n, F]`` blocks).

    The blocks are merged one at a time (Chan et al.'s pairwise update, float64 accumulation), so a
    split larger than memory is fitted while only one block is in memory. Constant features get
    std 1 so they pass through centred instead of exploding.
    """
    count, mean, squares = 0, None, None
    for chunk in chunks:
        values = chunk.double()
        rows = values.shape[0]
        if rows == 0:
            continue
        chunk_mean = values.mean(dim=0)
        chunk_squares = (values - chunk_mean).square().sum(dim=0)
        if mean is None:
            mean, squares = chunk_mean, chunk_squares
        else:
            delta = chunk_mean - mean
            total = count + rows
            mean = mean + delta * (rows / total)
            squares = squares + chunk_squares + delta.square() * (count * rows / total)
        count += rows
    if mean is None:
        raise ValueError("no frames to fit normalisation statistics on")
    std = (squares / count).sqrt()
    constant = std < MIN_STD
    std = torch.where(constant, torch.ones_like(std), std)
    names = [name for name, flag in zip(feature_names, constant.tolist(), strict=True) if flag]
    return FeatureStats(mean.float(), std.float(), names)


def row_chunks(frames: Tensor | MappedArray, rows: int = CHUNK_ROWS) -> Iterable[Tensor]:
    """``frames[i : i + rows]`` for consecutive ``i``: blocks of a tensor or a memory-mapped array."""
    return (frames[start : start + rows] for start in range(0, len(frames), rows))
