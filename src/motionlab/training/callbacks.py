"""Callbacks available to ``configs/callbacks``: Lightning's, re-exported under one stable name,
and motionlab's own."""

from __future__ import annotations

import math
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping, RichProgressBar
from lightning.pytorch.callbacks import LearningRateMonitor as LightningLearningRateMonitor
from lightning.pytorch.callbacks import ModelCheckpoint as LightningModelCheckpoint
from lightning.pytorch.callbacks import RichModelSummary as LightningRichModelSummary

from motionlab.training.limits import FiniteLossGuard, NonFiniteLossError
from motionlab.training.resources import reset_cuda_peaks, resource_usage
from motionlab.training.run_log import terminal_copy
from motionlab.training.summary import RunSummary

__all__ = [
    "EarlyStopping",
    "FiniteLossGuard",
    "LearningRateMonitor",
    "ModelCheckpoint",
    "RichModelSummary",
    "RichProgressBar",
    "SummaryCallback",
]


class LearningRateMonitor(LightningLearningRateMonitor):
    """Lightning's learning-rate monitor, its scalars under ``train/`` (``train/lr-AdamW``) like every
    other training scalar instead of at the top level of TensorBoard's Scalars tab."""

    def _extract_stats(self, trainer: L.Trainer, interval: str) -> dict[str, float]:
        return {f"train/{name}": value for name, value in super()._extract_stats(trainer, interval).items()}


class RichModelSummary(LightningRichModelSummary):
    """Lightning's model summary table, with a copy in ``train.log``."""

    @staticmethod
    def summarize(*args: Any, **kwargs: Any) -> None:
        with terminal_copy():
            LightningRichModelSummary.summarize(*args, **kwargs)


class ModelCheckpoint(LightningModelCheckpoint):
    """Lightning's checkpointing, except that the `FiniteLossGuard`'s error writes no checkpoint: the
    weights after a NaN loss are NaN too, and ``last.ckpt`` must keep the last good state.
    (``save_on_exception`` still saves on Ctrl-C, SIGTERM and other errors.)"""

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        if not isinstance(exception, NonFiniteLossError):
            super().on_exception(trainer, pl_module, exception)


class SummaryCallback(L.Callback):
    """Keeps ``summary.json`` current: epoch, epoch-level metrics history, best checkpoint so far.

    An epoch's row is written when the next epoch starts (and when training ends): only then are
    both its validation metrics and its reduced training metrics final. Peak memory (``resources``)
    is updated at the same moments and after testing.
    """

    def __init__(self, summary: RunSummary) -> None:
        self.summary = summary

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        reset_cuda_peaks(trainer)

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.summary.update(resources=resource_usage(trainer))

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch > 0:
            self._record(trainer, trainer.current_epoch - 1)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._record(trainer, trainer.current_epoch - 1)

    def _record(self, trainer: L.Trainer, epoch: int) -> None:
        self.summary.update(resources=resource_usage(trainer))  # on every process: it gathers
        metrics = {
            name: float(value)
            for name, value in trainer.callback_metrics.items()
            if not name.endswith("_step") and value.numel() == 1
        }
        if not metrics:  # e.g. the first epoch start after resuming: nothing measured yet
            return
        self.summary.add_epoch(epoch, metrics)
        checkpoint = trainer.checkpoint_callback
        if checkpoint is not None and checkpoint.best_model_path:
            score = checkpoint.best_model_score
            self.summary.update(
                best_checkpoint=checkpoint.best_model_path,
                best_score=None if score is None or not math.isfinite(score) else float(score),
            )
