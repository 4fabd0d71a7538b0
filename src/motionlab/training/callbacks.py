"""Callbacks available to ``configs/callbacks``: Lightning's, re-exported under one stable name,
and motionlab's own."""

from __future__ import annotations

import math
import re
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping, RichProgressBar
from lightning.pytorch.callbacks import LearningRateMonitor as LightningLearningRateMonitor
from lightning.pytorch.callbacks import ModelCheckpoint as LightningModelCheckpoint
from lightning.pytorch.callbacks import RichModelSummary as LightningRichModelSummary
from lightning.pytorch.utilities.exceptions import SIGTERMException

from motionlab.training.hparams import best_metric_name
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


# Lightning names learning-rate scalars after the optimiser class: lr-AdamW, lr-AdamW/pg2.
OPTIMIZER_NAME = re.compile(r"^lr-[A-Za-z0-9_]+")


class LearningRateMonitor(LightningLearningRateMonitor):
    """Lightning's learning-rate monitor, its scalars under ``train/`` like every other training
    scalar, named ``train/lr`` whatever the optimiser (Lightning's ``lr-AdamW`` and ``lr-Adam`` would
    split runs of one task across two charts); parameter groups keep their suffix (``train/lr/pg2``)."""

    def _extract_stats(self, trainer: L.Trainer, interval: str) -> dict[str, float]:
        stats = super()._extract_stats(trainer, interval)
        return {f"train/{OPTIMIZER_NAME.sub('lr', name)}": value for name, value in stats.items()}


class RichModelSummary(LightningRichModelSummary):
    """Lightning's model summary table, with a copy in ``train.log``."""

    @staticmethod
    def summarize(*args: Any, **kwargs: Any) -> None:
        with terminal_copy():
            LightningRichModelSummary.summarize(*args, **kwargs)


class ModelCheckpoint(LightningModelCheckpoint):
    """Lightning's checkpointing, except that the `FiniteLossGuard`'s error writes no checkpoint: the
    weights after a NaN loss are NaN too, and ``last.ckpt`` must keep the last good state.
    (``save_on_exception`` still saves on Ctrl-C, SIGTERM and other errors.)

    With a monitored metric it logs the best checkpoint's score whenever it checks for a better one
    (``val/loss_best``): the HParams tab's best-value column, as a curve beside ``val/loss``.
    """

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        if self._should_save_on_train_epoch_end(trainer):
            self._log_best(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        if not self._should_save_on_train_epoch_end(trainer):
            self._log_best(trainer)

    def _log_best(self, trainer: L.Trainer) -> None:
        """After the hook in which Lightning compares the monitored value with the best (at a training
        epoch's end or at a validation's end, by the trainer's settings)."""
        if self.monitor is None or self.best_model_score is None or trainer.sanity_checking:
            return
        for logger in trainer.loggers:
            logger.log_metrics(
                {best_metric_name(self.monitor): float(self.best_model_score)}, step=trainer.global_step
            )

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        if not isinstance(exception, NonFiniteLossError):
            super().on_exception(trainer, pl_module, exception)


class SummaryCallback(L.Callback):
    """Keeps ``summary.json`` current: epoch, epoch-level metrics history, best checkpoint so far.

    An epoch's row is written when the next epoch starts (and when training ends, or is stopped by an
    exception such as SIGTERM right after an epoch): only then are both its validation metrics and its
    reduced training metrics final. Only an epoch whose batches this process trained gets a row: a
    resumed run replays the end of the checkpoint's epoch with nothing measured (its metrics would be
    the learning rate alone) and must keep the row the interrupted process wrote. Peak memory
    (``resources``) is updated at the same moments and after testing.
    """

    def __init__(self, summary: RunSummary) -> None:
        self.summary = summary
        self._trained_epoch: int | None = None  # the epoch whose row is still to be written

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        reset_cuda_peaks(trainer)

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.summary.update(resources=resource_usage(trainer))

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self._trained_epoch = trainer.current_epoch

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._record_trained_epoch(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._record_trained_epoch(trainer)

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        # Lightning checks for SIGTERM once an epoch has ended, on every process at once (`_record`
        # gathers across processes): that epoch's metrics are final and its row is still to be written.
        epochs_ended = trainer.fit_loop.epoch_progress.current.completed
        trained = self._trained_epoch
        if isinstance(exception, SIGTERMException) and trained is not None and epochs_ended > trained:
            self._record_trained_epoch(trainer)

    def _record_trained_epoch(self, trainer: L.Trainer) -> None:
        if self._trained_epoch is not None:
            self._record(trainer, self._trained_epoch)
            self._trained_epoch = None

    def _record(self, trainer: L.Trainer, epoch: int) -> None:
        """The epoch's row, peak memory and best checkpoint so far, in one write of the file (each
        write ends in an fsync: about 30 ms of wall time on the development machine)."""
        resources = resource_usage(trainer)  # on every process: it gathers
        metrics = {
            name: float(value)
            for name, value in trainer.callback_metrics.items()
            if not name.endswith("_step") and value.numel() == 1
        }
        if not metrics:  # e.g. the first epoch start after resuming: nothing measured yet
            self.summary.update(resources=resources)
            return
        best = {}
        checkpoint = trainer.checkpoint_callback
        if checkpoint is not None and checkpoint.best_model_path:
            score = checkpoint.best_model_score
            best = {
                "best_checkpoint": checkpoint.best_model_path,
                "best_score": None if score is None or not math.isfinite(score) else float(score),
            }
        self.summary.add_epoch(epoch, metrics, resources=resources, **best)
