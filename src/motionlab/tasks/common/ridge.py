"""Closed-form ridge fit of a linear classification head, as scikit-learn's ``RidgeClassifier`` (and
MiniRocket) fit theirs: one-vs-rest least squares onto ±1 targets with an L2 penalty.

On fixed features (``model=rocket``) a linear head trained by cross-entropy heads for a max-margin
direction and plateaus below the ridge solution on the same features (docs/real-data.md); the ridge
solution is exact, needs no epochs, and its penalty is chosen on the validation windows: the one whose
class probabilities (the softmax of the scores, what a run reports and averages per recording) have
the lowest cross-entropy there. Validation accuracy, the earlier criterion, moves in whole windows of a
few held-out people and flips between neighbouring penalties; the cross-entropy is smooth in the
penalty. The two criteria side by side on the real sets: docs/real-data.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class RidgeFit:
    """``scores = features @ weight + bias``: ``weight [D, C]``, ``bias [C]``; the chosen penalty and
    the validation cross-entropy (of the scores' softmax) and accuracy it scored."""

    weight: Tensor
    bias: Tensor
    alpha: float
    val_log_loss: float
    val_accuracy: float


def ridge_classifier(
    features: Tensor,
    labels: Tensor,
    num_classes: int,
    alphas: Sequence[float],
    val_features: Tensor,
    val_labels: Tensor,
) -> RidgeFit:
    """Ridge regression of ``features [N, D]`` onto ±1 one-vs-rest targets of ``labels [N]`` for every
    penalty in ``alphas`` (all positive; in float64), keeping the one whose scores' softmax has the
    lowest cross-entropy on ``val_features`` / ``val_labels`` (ties keep the earlier one in ``alphas``).

    With ``Z`` the centred features, the weights ``(ZᵀZ + αI)⁻¹ Zᵀ T`` come from the smaller Gram
    matrix: ``ZᵀZ`` ``[D, D]`` when there are more windows than features, else ``ZZᵀ`` ``[N, N]``
    (then ``Zᵀ (ZZᵀ + αI)⁻¹ T``, the same weights). Each penalty is one Cholesky factorisation of
    ``Gram + αI``, positive definite for ``α > 0``: on the IMU recipe's shapes (4,116 features of
    4,344 or 6,717 windows) the ten penalties took 0.6 of the CPU of one eigendecomposition serving
    them all (``python -m bench.bench_ridge``)."""
    if not alphas or min(alphas) <= 0:
        raise ValueError(f"ridge_classifier needs positive penalties, got {list(alphas)}")
    z, z_val = features.double(), val_features.double()
    targets = 2.0 * F.one_hot(labels.long(), num_classes).double() - 1.0
    z_mean, t_mean = z.mean(0), targets.mean(0)
    centred, centred_targets = z - z_mean, targets - t_mean
    primal = len(z) >= z.shape[1]
    gram = centred.T @ centred if primal else centred @ centred.T
    right = centred.T @ centred_targets if primal else centred_targets
    identity = torch.eye(len(gram), dtype=gram.dtype)
    best: RidgeFit | None = None
    for alpha in alphas:
        solved = torch.cholesky_solve(right, torch.linalg.cholesky(gram + alpha * identity))
        weight = solved if primal else centred.T @ solved
        bias = t_mean - z_mean @ weight
        scores = z_val @ weight + bias
        log_loss = F.cross_entropy(scores, val_labels.long()).item()
        if best is None or log_loss < best.val_log_loss:
            accuracy = (scores.argmax(1) == val_labels).double().mean().item()
            best = RidgeFit(weight.float(), bias.float(), float(alpha), log_loss, accuracy)
    assert best is not None  # alphas is not empty
    return best
