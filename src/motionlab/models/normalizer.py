"""Feature normalisation as the model's first layer.

The statistics are buffers: they are saved in every checkpoint and baked into the exported ONNX
graph, so an app feeds raw features and can never pair a model with the wrong statistics.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Normalizer(nn.Module):
    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(num_features))
        self.register_buffer("std", torch.ones(num_features))

    def set_stats(self, mean: Tensor, std: Tensor) -> None:
        if mean.shape != self.mean.shape or std.shape != self.std.shape:
            raise ValueError(f"expected stats of shape {tuple(self.mean.shape)}, got {tuple(mean.shape)}")
        self.mean.copy_(mean)
        self.std.copy_(std)

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std

    def inverse(self, x: Tensor) -> Tensor:
        return x * self.std + self.mean
