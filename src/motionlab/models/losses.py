"""Classification losses beyond what ``torch.nn`` ships."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

REDUCTIONS = ("mean", "sum", "none")


class FocalLoss(nn.Module):
    """Multi-class focal loss on logits ``[N, C]`` and class indices ``[N]`` (seed 004: γ=1.0, α=0.5).

    Per sample ``i`` with true class ``y``: ``loss_i = α · (1 - p_y)^γ · ce_i``, where ``ce_i`` is the
    per-sample cross-entropy exactly as ``F.cross_entropy(..., weight, label_smoothing,
    reduction="none")`` computes it and ``p_y`` the predicted probability of the true class. The focal
    factor shrinks well-classified samples (``p_y`` near 1) so training focuses on hard ones; with
    ``γ = 0`` and ``α = 1`` the loss is cross-entropy.

    ``α`` is a single scale here: in the multi-class form it does not balance classes (that is what
    ``weight``, one value per class, is for). It only matters relative to other loss terms.

    ``reduction="mean"`` follows ``F.cross_entropy``'s weighted-mean convention: the sum of the
    per-sample losses is divided by the sum of the true classes' weights ``Σ_i weight[y_i]`` (by ``N``
    without weights), not by ``N`` and not by the focal factors.

    The loss is computed in at least float32: under mixed precision, half-precision logits would round
    ``log_softmax`` and ``1 - p`` (and float16 overflows for large logits).
    """

    def __init__(
        self,
        gamma: float = 1.0,
        alpha: float = 0.5,
        weight: Tensor | None = None,
        label_smoothing: float = 0.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        if gamma < 0:
            raise ValueError(f"gamma must be >= 0, got {gamma}")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; valid reductions are {', '.join(REDUCTIONS)}")
        self.gamma = gamma
        self.alpha = alpha
        self.label_smoothing = label_smoothing
        self.reduction = reduction
        # Not persistent: class weights come from the config or the data, not from checkpoints.
        class_weight = None if weight is None else torch.as_tensor(weight, dtype=torch.float32)
        self.register_buffer("weight", class_weight, persistent=False)

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        log_probs = F.log_softmax(logits.to(torch.promote_types(logits.dtype, torch.float32)), dim=-1)
        weight = None if self.weight is None else self.weight.to(log_probs.dtype)
        ce = F.nll_loss(log_probs, target, weight=weight, reduction="none")
        if self.label_smoothing:
            weighted = log_probs if weight is None else log_probs * weight
            smooth = -weighted.sum(dim=-1) / logits.shape[-1]
            ce = (1 - self.label_smoothing) * ce + self.label_smoothing * smooth
        log_p_true = log_probs.gather(-1, target.unsqueeze(-1)).squeeze(-1)
        # 1 - p via expm1 stays accurate for easy samples (p near 1); the clamp keeps the gradient of
        # (1 - p)^γ finite at p = 1 when 0 < γ < 1.
        one_minus_p = (-torch.expm1(log_p_true)).clamp_min(torch.finfo(log_probs.dtype).eps)
        loss = self.alpha * one_minus_p.pow(self.gamma) * ce
        if self.reduction == "none":
            return loss
        if self.reduction == "sum":
            return loss.sum()
        normalizer = target.numel() if weight is None else weight[target].sum()
        return loss.sum() / normalizer
