"""Calibration of a confidence output: does a stated 80 % come true 80 % of the time?

`CalibrationMetric` accumulates, per confidence bin, the confidences and the outcomes they predict
(1 = right, 0 = wrong, or a share of right answers in between), and from them computes the expected
calibration error, the reliability diagram's bins, and the Brier score and skill.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torchmetrics import Metric


class CalibrationMetric(Metric):
    """Expected calibration error (ECE), reliability bins and Brier skill of a confidence in [0, 1].

    * ``ece``: ``Σ_b (n_b / N) · |mean outcome_b − mean confidence_b|`` over ``num_bins`` equal-width bins;
    * ``brier``: mean squared difference between confidence and outcome;
    * ``skill``: ``1 − brier / var(outcome)``, the Brier skill against the best constant confidence
      (the outcomes' own mean): above 0 only when the confidence tells good cases from bad ones and
      its spread is right;
    * ``corr``: Pearson correlation of confidence and outcome, how well it ranks cases whatever its
      scale (0 for any constant).

    ``kwargs`` go to torchmetrics' `Metric` (``sync_on_compute=False`` for values that every process
    already holds in full).
    """

    full_state_update = False

    def __init__(self, num_bins: int = 10, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_bins = num_bins
        for name in ("confidence_sum", "outcome_sum", "count"):
            self.add_state(name, torch.zeros(num_bins, dtype=torch.float64), dist_reduce_fx="sum")
        for name in ("squared_error", "outcome_squares", "confidence_squares", "products"):
            self.add_state(name, torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, confidence: Tensor, outcome: Tensor) -> None:
        confidence, outcome = confidence.detach().double().flatten(), outcome.detach().double().flatten()
        bins = (confidence * self.num_bins).long().clamp(0, self.num_bins - 1)
        self.confidence_sum.index_add_(0, bins, confidence)
        self.outcome_sum.index_add_(0, bins, outcome)
        self.count.index_add_(0, bins, torch.ones_like(confidence))
        self.squared_error += ((confidence - outcome) ** 2).sum()
        self.outcome_squares += (outcome**2).sum()
        self.confidence_squares += (confidence**2).sum()
        self.products += (confidence * outcome).sum()

    def compute(self) -> dict[str, Tensor]:
        total = self.count.sum().clamp(min=1)
        mean_outcome = self.outcome_sum.sum() / total
        variance = self.outcome_squares / total - mean_outcome**2
        brier = self.squared_error / total
        mean_confidence = self.confidence_sum.sum() / total
        covariance = self.products / total - mean_confidence * mean_outcome
        spread = (variance * (self.confidence_squares / total - mean_confidence**2)).clamp(min=0).sqrt()
        nan = torch.tensor(float("nan"), dtype=torch.float64)
        filled = self.count.clamp(min=1)
        return {
            "ece": (self.outcome_sum - self.confidence_sum).abs().sum() / total,
            "brier": brier,
            "skill": 1 - brier / variance if variance > 0 else nan,
            "corr": covariance / spread if spread > 0 else nan,
            "bin_confidence": self.confidence_sum / filled,
            "bin_outcome": self.outcome_sum / filled,
            "bin_count": self.count,
        }


def fit_platt(logits: Tensor, outcomes: Tensor, steps: int = 100, ridge: float = 1e-6) -> tuple[float, float]:
    """Platt scaling: ``(scale, bias)`` so that ``sigmoid(scale · logit + bias)`` best predicts the
    outcomes (binary cross-entropy; outcomes may be shares in [0, 1]).

    A small ridge pulls towards the identity ``(1, 0)``, so a degenerate set (every outcome equal)
    gives finite values. Fitted in float64 with L-BFGS on held-out predictions.
    """
    logits, outcomes = logits.detach().double().flatten(), outcomes.detach().double().flatten()
    params = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([params], max_iter=steps, line_search_fn="strong_wolfe")

    def loss() -> Tensor:
        optimizer.zero_grad()
        value = torch.nn.functional.binary_cross_entropy_with_logits(params[0] * logits + params[1], outcomes)
        value = value + ridge * ((params[0] - 1) ** 2 + params[1] ** 2)
        value.backward()
        return value

    with torch.enable_grad():
        optimizer.step(loss)
    scale, bias = params.detach().tolist()
    return scale, bias
