"""Optimisers and LR schedulers by name, so task configs stay plain YAML."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import nn

from motionlab.errors import ConfigError

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
}
SCHEDULERS = ("plateau", "cosine", "none")


def build_optimizer(params: Iterable[nn.Parameter], config: Mapping[str, Any]) -> torch.optim.Optimizer:
    """``{name: adamw, lr: 5e-4, weight_decay: 1e-4}`` → the optimiser."""
    options = dict(config)
    name = options.pop("name")
    if name not in OPTIMIZERS:
        raise ConfigError(
            "task.optimizer.name", f"unknown optimizer '{name}'", f"use one of {sorted(OPTIMIZERS)}"
        )
    return OPTIMIZERS[name](params, **options)


def build_scheduler(
    optimizer: torch.optim.Optimizer,
    config: Mapping[str, Any] | None,
    monitor: Mapping[str, str],
    max_epochs: int,
) -> dict[str, Any] | None:
    """Lightning's ``lr_scheduler`` dict for ``config``; ``plateau`` follows the run's monitored metric."""
    options = dict(config or {"name": "none"})
    name = options.pop("name")
    if name == "none":
        return None
    if name == "plateau":
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=monitor["mode"], **options)
        return {"scheduler": scheduler, "monitor": monitor["metric"], "interval": "epoch"}
    if name == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, max_epochs), **options)
        return {"scheduler": scheduler, "interval": "epoch"}
    raise ConfigError("task.scheduler.name", f"unknown scheduler '{name}'", f"use one of {list(SCHEDULERS)}")
