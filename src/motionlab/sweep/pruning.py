"""Pruning: Optuna's Lightning callback wired to the run summary, and the pruners ``sweep.pruner`` names."""

from __future__ import annotations

import lightning as L
import optuna
from omegaconf import DictConfig
from optuna_integration.pytorch_lightning import PyTorchLightningPruningCallback

from motionlab.errors import ConfigError

PRUNERS = ("median", "successive_halving", "hyperband", "none")


class TrialPruned(optuna.TrialPruned):
    """Optuna's pruning signal; ``train()`` records the run as ``pruned`` (not ``failed``) in summary.json."""

    run_status = "pruned"


class PruningCallback(PyTorchLightningPruningCallback):
    """optuna-integration's callback: after every validation epoch it reports the monitored metric to
    the trial and stops the run when the pruner says so. It raises :class:`TrialPruned`, so the run's
    summary says ``pruned``; Lightning saves ``last.ckpt`` on the way out, as for any exception."""

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        try:
            super().on_validation_end(trainer, pl_module)
        except optuna.TrialPruned as pruned:
            raise TrialPruned(*pruned.args) from None


def make_pruner(cfg: DictConfig, max_epochs: int | None) -> optuna.pruners.BasePruner:
    """The pruner ``sweep.pruner`` describes; a step is one epoch, so Hyperband's budget is ``max_epochs``."""
    if cfg.name == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=cfg.n_startup_trials, n_warmup_steps=cfg.n_warmup_steps
        )
    if cfg.name == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=cfg.min_resource, reduction_factor=cfg.reduction_factor
        )
    if cfg.name == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=cfg.min_resource,
            max_resource=max_epochs if max_epochs and max_epochs > 0 else "auto",
            reduction_factor=cfg.reduction_factor,
        )
    if cfg.name == "none":
        return optuna.pruners.NopPruner()
    raise ConfigError("sweep.pruner.name", f"unknown pruner {cfg.name!r}", f"use one of {', '.join(PRUNERS)}")
