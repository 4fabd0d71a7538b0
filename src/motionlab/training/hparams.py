"""The run's key hyperparameters against its final metrics: TensorBoard's hparams tab.

Which settings count as key is config (``hparams`` in ``configs/train.yaml``): the config groups the
run was composed from and a list of dotted keys, a section contributing each scalar setting in it
(a sweep trial adds its searched keys). The metrics are scalars the run logs anyway: the best value
of the monitored metric so far (``<metric>_best``, e.g. ``val/loss_best``, logged at every
validation by `ModelCheckpoint`) and every test metric (``test/...``), the same numbers as
``summary.json``'s ``best_score`` and ``test_metrics``; no second copy of them under ``hp/``.

They are declared once, when the run ends, when every test metric is known.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lightning.pytorch.loggers import Logger
from omegaconf import DictConfig, OmegaConf

from motionlab.training.loggers import TensorBoardLogger

# Lists longer than this (as text) are left out: a column of long lists is unreadable.
MAX_LIST_CHARS = 80


def select_hparams(cfg: DictConfig) -> dict[str, Any]:
    """``cfg.hparams``'s selection as a flat ``{"model/channels": 64, ...}`` dict of scalars.

    ``hparams.groups`` are taken as they are; each dotted key of ``hparams.keys`` adds its value, or
    for a section each scalar setting in it (private keys such as ``_target_`` aside); keys this
    run's config lacks (another data config's setting) are skipped.
    """
    selection = cfg.get("hparams") or {}
    params: dict[str, Any] = {
        str(group): "null" if choice is None else choice
        for group, choice in OmegaConf.to_container(selection.get("groups") or {}, resolve=True).items()
    }
    missing = object()
    for key in selection.get("keys") or []:
        value = OmegaConf.select(cfg, key, default=missing)
        if value is missing:
            continue
        if OmegaConf.is_config(value):
            value = OmegaConf.to_container(value, resolve=True)
        params.update(_flatten(value, key.replace(".", "/")))
    return params


def best_metric_name(monitor: str) -> str:
    """The scalar tag of the monitored metric's best value so far: ``val/loss`` → ``val/loss_best``."""
    return f"{monitor}_best"


def metric_names(monitor: str, best: float, test_metrics: Mapping[str, float]) -> list[str]:
    """The HParams metric columns of a run: its best monitored value and the finite test metrics."""
    names = [best_metric_name(monitor)] if math.isfinite(best) else []
    return names + sorted(name for name, value in test_metrics.items() if math.isfinite(value))


def log_final_hparams(loggers: Sequence[Logger], params: Mapping[str, Any], metrics: Sequence[str]) -> None:
    """Hyperparameters against the ``metrics`` tags for TensorBoard's HParams tab; the other loggers
    record the hyperparameters (the metrics are in their logs already). Saved at once: the trainer
    has already finalised its loggers."""
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.log_session(dict(params), list(metrics))
        else:
            logger.log_hyperparams(dict(params))
        logger.save()


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            if not str(key).startswith("_"):
                flat.update(_flatten(item, f"{prefix}/{key}"))
        return flat
    if isinstance(value, list):
        return {prefix: str(value)} if len(str(value)) <= MAX_LIST_CHARS else {}
    if value is None:
        return {prefix: "null"}
    return {prefix: value}
