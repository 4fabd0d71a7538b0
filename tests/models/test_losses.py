"""FocalLoss: reduces to cross-entropy, matches hand-computed values, down-weights easy samples."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from motionlab.models.losses import FocalLoss

WEIGHT = torch.tensor([0.5, 2.0, 1.0, 3.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weight", [None, WEIGHT], ids=["unweighted", "weighted"])
def test_gamma_0_alpha_1_is_cross_entropy(
    weight: torch.Tensor | None, label_smoothing: float, reduction: str
) -> None:
    torch.manual_seed(0)
    logits, target = torch.randn(16, 4), torch.randint(0, 4, (16,))
    focal = FocalLoss(
        gamma=0.0, alpha=1.0, weight=weight, label_smoothing=label_smoothing, reduction=reduction
    )
    expected = F.cross_entropy(
        logits, target, weight=weight, label_smoothing=label_smoothing, reduction=reduction
    )
    torch.testing.assert_close(focal(logits, target), expected)


def focal_term(logits: list[float], target: int, gamma: float, alpha: float) -> float:
    """-α (1 - p)^γ log p for one sample, written out with math."""
    p = math.exp(logits[target]) / sum(math.exp(z) for z in logits)
    return -alpha * (1 - p) ** gamma * math.log(p)


def test_two_sample_hand_example_with_seed_004_parameters() -> None:
    # Both samples are class 0. p_0 = e² / (e² + 2) ≈ 0.787 (easy); p_1 = 1 / (2 + e) ≈ 0.212 (hard).
    p_easy, p_hard = math.e**2 / (math.e**2 + 2), 1 / (2 + math.e)
    gamma, alpha = 1.0, 0.5
    expected = (
        -alpha * ((1 - p_easy) ** gamma * math.log(p_easy) + (1 - p_hard) ** gamma * math.log(p_hard)) / 2
    )
    assert expected == pytest.approx(0.3184, abs=1e-4)
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    loss = FocalLoss(gamma=gamma, alpha=alpha)(logits, torch.tensor([0, 0]))
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_weighted_mean_divides_by_the_targets_weights() -> None:
    logits = [[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    target = [0, 1]
    weight = [2.0, 1.0, 1.0]
    terms = [focal_term(row, y, gamma=2.0, alpha=0.25) for row, y in zip(logits, target, strict=True)]
    loss = FocalLoss(gamma=2.0, alpha=0.25, weight=torch.tensor(weight))(
        torch.tensor(logits), torch.tensor(target)
    )
    assert loss.item() == pytest.approx((2.0 * terms[0] + 1.0 * terms[1]) / (2.0 + 1.0), rel=1e-6)


def test_easy_samples_are_down_weighted_relative_to_cross_entropy() -> None:
    logits = torch.tensor([[4.0, 0.0, 0.0], [0.0, 2.0, 0.0]])  # sample 0 easy, sample 1 hard
    target = torch.tensor([0, 0])
    focal = FocalLoss(gamma=1.0, alpha=1.0, reduction="none")(logits, target)
    ce = F.cross_entropy(logits, target, reduction="none")
    ratio = focal / ce
    p_true = logits.softmax(dim=-1)[:, 0]
    torch.testing.assert_close(ratio, 1 - p_true)
    assert ratio[0] < 0.05 < 0.8 < ratio[1]


def test_gradient_is_finite_when_the_true_class_is_certain() -> None:
    logits = torch.tensor([[100.0, 0.0], [0.0, 1.0]], requires_grad=True)
    FocalLoss(gamma=0.5)(logits, torch.tensor([0, 1])).backward()
    assert torch.isfinite(logits.grad).all()


def test_weight_follows_the_logits_dtype() -> None:
    logits = torch.randn(5, 4, dtype=torch.float64)
    target = torch.randint(0, 4, (5,))
    expected = F.cross_entropy(logits, target, weight=WEIGHT.double())
    torch.testing.assert_close(FocalLoss(gamma=0.0, alpha=1.0, weight=WEIGHT)(logits, target), expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gamma": -1.0}, r"gamma must be >= 0"),
        ({"label_smoothing": 1.5}, r"label_smoothing must be in \[0, 1\]"),
        ({"reduction": "avg"}, r"unknown reduction 'avg'"),
    ],
)
def test_bad_arguments_raise(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FocalLoss(**kwargs)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("weight", [None, WEIGHT], ids=["unweighted", "weighted"])
def test_half_precision_logits_give_the_float32_loss_even_when_extreme(
    dtype: torch.dtype, weight: torch.Tensor | None
) -> None:
    # ±6e4 is near float16's largest value: exp overflows and a half-precision 1 - p rounds to 0
    logits = torch.tensor([[6e4, -6e4, 0.0, 1.0], [-6e4, 6e4, 2.0, 0.0], [0.5, 0.25, 0.0, -0.5]])
    target = torch.tensor([1, 1, 3])
    loss_fn = FocalLoss(gamma=2.0, alpha=0.5, weight=weight, label_smoothing=0.1)
    half = logits.to(dtype).requires_grad_()
    loss = loss_fn(half, target)
    loss.backward()
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    assert torch.isfinite(half.grad).all()
    torch.testing.assert_close(loss, loss_fn(logits.to(dtype).float(), target))
