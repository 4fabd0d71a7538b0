"""The closed-form ridge head (`motionlab.tasks.common.ridge`, ClassifyTask's ``head_fit: ridge``)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from motionlab.errors import ConfigError
from motionlab.tasks import ClassifyTask
from motionlab.tasks.common.ridge import ridge_classifier

ALPHAS = (1e-3, 0.1, 10.0, 1e3)


def problem(seed: int, n: int, d: int = 20, classes: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, classes, (n,), generator=generator)
    centres = torch.randn(classes, d, generator=torch.Generator().manual_seed(0))
    return centres[labels] + 1.5 * torch.randn(n, d, generator=generator), labels


@pytest.mark.parametrize("n", [60, 12])  # more windows than features (20), and fewer
def test_the_fit_solves_the_ridge_normal_equations_and_keeps_the_lowest_validation_cross_entropy(n):
    (z, y), (z_val, y_val) = problem(1, n), problem(2, 40)
    fit = ridge_classifier(z, y, 3, ALPHAS, z_val, y_val)
    z64, targets = z.double(), 2.0 * F.one_hot(y, 3).double() - 1.0
    zc, tc = z64 - z64.mean(0), targets - targets.mean(0)
    log_losses, accuracies = [], []
    for alpha in ALPHAS:
        weight = torch.linalg.solve(zc.T @ zc + alpha * torch.eye(20, dtype=torch.float64), zc.T @ tc)
        bias = targets.mean(0) - z64.mean(0) @ weight
        scores = z_val.double() @ weight + bias
        log_losses.append(F.cross_entropy(scores, y_val).item())
        accuracies.append((scores.argmax(1) == y_val).double().mean().item())
        if alpha == fit.alpha:
            torch.testing.assert_close(fit.weight, weight.float(), atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(fit.bias, bias.float(), atol=1e-5, rtol=1e-4)
    chosen = log_losses.index(min(log_losses))
    assert fit.alpha == ALPHAS[chosen]
    assert fit.val_log_loss == pytest.approx(log_losses[chosen], rel=1e-9)
    assert fit.val_accuracy == accuracies[chosen] > 1 / 3
    for alphas in ((), (1.0, 0.0)):  # Gram + αI is positive definite only for α > 0
        with pytest.raises(ValueError, match="positive penalties"):
            ridge_classifier(z, y, 3, alphas, z_val, y_val)


def test_ridge_needs_a_linear_head():
    spec = {"feature_names": ["a", "b"], "window": 20, "fps": 10.0, "class_names": ["x", "y"]}
    base = {
        "encoder": {"_target_": "motionlab.models.encoders.TCNEncoder", "channels": 8, "num_blocks": 1},
        "data_spec": spec,
        "optimizer": {"name": "adam", "lr": 1e-3},
        "scheduler": None,
        "monitor": {"metric": "val/loss", "mode": "min"},
    }
    with pytest.raises(ConfigError, match=r"task\.head_fit: 'ridge' with hidden layers \[16\].*hidden=\[\]"):
        ClassifyTask(**base, hidden=[16], head_fit="ridge")
    assert ClassifyTask(**base, hidden=[], head_fit="ridge").fits_head
    for alphas in ([], [1.0, 0.0]):  # a Cholesky factor per penalty needs every penalty positive
        with pytest.raises(ConfigError, match=r"task\.ridge_alphas: \[.*positive penalties"):
            ClassifyTask(**base, hidden=[], head_fit="ridge", ridge_alphas=alphas)
    assert not ClassifyTask(**base).fits_head
    with pytest.raises(
        ConfigError, match=r"task\.train_after_fit: false without a head fitted.*head_fit=ridge"
    ):
        ClassifyTask(**base, train_after_fit=False)


def test_the_head_fitted_on_the_encoder_fit_s_features_is_the_head_fitted_from_scratch():
    """`fit_encoder`'s returned features (model=rocket: the standardisation pass's PPVs) give the
    ridge head exactly the weights of computing every window's features again, and of the ridge
    fitted on features computed the unoptimised way (every convolution's own output)."""
    spec = {"feature_names": ["a"], "window": 40, "fps": 10.0, "class_names": ["x", "y", "z"]}
    encoder = {
        "_target_": "motionlab.models.encoders.RocketEncoder",
        "num_features": 600,
        "receptive_field": 40,
    }
    tasks = [
        ClassifyTask(
            encoder,
            spec,
            {"name": "adam", "lr": 1e-3},
            None,
            {"metric": "val/loss", "mode": "min"},
            hidden=[],
            head_fit="ridge",
            ridge_alphas=ALPHAS,
        )
        for _ in range(2)
    ]
    generator = torch.Generator().manual_seed(0)
    train, val = (
        {"x": torch.randn(n, 40, 1, generator=generator), "label": torch.arange(n) % 3} for n in (50, 20)
    )
    for task in tasks:
        task.normalizer.set_stats(torch.tensor([0.1]), torch.tensor([2.0]))
    pooled = tasks[0].fit_encoder(train["x"])
    assert pooled is not None and tasks[1].fit_encoder(train["x"]) is not None
    tasks[0].fit_head(train, val, pooled)
    tasks[1].fit_head(train, val)
    reused, recomputed = tasks[0].head[-1], tasks[1].head[-1]
    assert torch.equal(reused.weight, recomputed.weight) and torch.equal(reused.bias, recomputed.bias)
    rocket = tasks[0].encoder

    def unoptimised(x: torch.Tensor) -> torch.Tensor:
        above = rocket.convolutions(tasks[0].encoder_input(x)).unsqueeze(-1) > rocket.bias
        ppv = above.sum(dim=1, dtype=x.dtype).flatten(1) / x.shape[1]
        return (ppv - rocket.mean.flatten()) / rocket.std.flatten()

    fit = ridge_classifier(
        unoptimised(train["x"]), train["label"], 3, ALPHAS, unoptimised(val["x"]), val["label"]
    )
    assert torch.equal(reused.weight, fit.weight.T) and torch.equal(reused.bias, fit.bias)
    assert tasks[0].eval_details["head_fit"] == tasks[1].eval_details["head_fit"]
