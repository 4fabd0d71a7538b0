"""Error metrics shared by tasks that predict frames (forecasting; later imitation targets)."""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric

KINDS = ("mse", "mae", "baseline_mse", "baseline_mae")


class FrameErrors(Metric):
    """Per-feature mean squared and absolute error of a prediction and of a baseline, on the same rows.

    ``update(prediction, target, baseline)`` takes ``[B, F]`` tensors. `compute` returns ``mse``,
    ``mae``, ``baseline_mse`` and ``baseline_mae``, each ``[F]``: per-feature means that callers turn
    into overall scores, per-group scores or (times a feature's std) errors in original units. The
    state is a few ``[F]`` sums, so updating never syncs the device and processes reduce by summing.
    """

    full_state_update = False

    def __init__(self, num_features: int) -> None:
        super().__init__()
        for kind in KINDS:
            self.add_state(kind, default=torch.zeros(num_features), dist_reduce_fx="sum")
        self.add_state("rows", default=torch.zeros(()), dist_reduce_fx="sum")

    def update(self, prediction: Tensor, target: Tensor, baseline: Tensor) -> None:
        error = (prediction - target).float()
        baseline_error = (baseline - target).float()
        self.mse += error.square().sum(dim=0)
        self.mae += error.abs().sum(dim=0)
        self.baseline_mse += baseline_error.square().sum(dim=0)
        self.baseline_mae += baseline_error.abs().sum(dim=0)
        self.rows += target.shape[0]

    def compute(self) -> dict[str, Tensor]:
        return {kind: getattr(self, kind) / self.rows for kind in KINDS}
