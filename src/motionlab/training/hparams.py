"""The run's key hyperparameters against its final metrics: TensorBoard's hparams tab.

Which settings count as key is config (``hparams`` in ``configs/train.yaml``): the config groups the
run was composed from and a list of dotted keys, a section contributing each scalar setting in it.
The metrics are the best value of the monitored metric (``hp/best/<metric>``) and every test metric
(``hp/<test metric>``), the same numbers as ``summary.json``'s ``best_score`` and ``test_metrics``.

They are logged once, when the run ends: TensorBoard keeps the first hparams record of a run, so an
earlier record would hide the metrics only known after testing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lightning.pytorch.loggers import Logger, TensorBoardLogger
from omegaconf import DictConfig, OmegaConf

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


def final_metrics(monitor: str, best: float, test_metrics: Mapping[str, float]) -> dict[str, float]:
    """``hp/best/<monitor>`` and ``hp/<test metric>`` for the finite ones of these values."""
    metrics = {f"hp/best/{monitor}": best, **{f"hp/{name}": value for name, value in test_metrics.items()}}
    return {name: float(value) for name, value in metrics.items() if math.isfinite(value)}


def log_final_hparams(
    loggers: Sequence[Logger], params: Mapping[str, Any], metrics: Mapping[str, float], step: int
) -> None:
    """Hyperparameters with the final metrics for TensorBoard; the others take both as they can.
    Saved at once: the trainer has already finalised its loggers."""
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.log_hyperparams(dict(params), metrics=dict(metrics), step=step)
        else:
            logger.log_hyperparams(dict(params))
            logger.log_metrics(dict(metrics), step=step)
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
