"""Run limits: why a finished run stopped (`stop_reason`); `FiniteLossGuard`, which stops a run
whose training loss goes NaN/inf, saying where, which loss term, and what to try; and
`check_finite_test_metrics`, which fails a run whose test metrics are NaN/inf.

Checking a loss for NaN means reading it on the host, and reading a GPU tensor waits for every queued
kernel (a sync). The guard therefore never reads the loss per step: each batch appends its loss terms,
stacked into one small tensor that stays on the device, to a pending list; every
``check_every_n_steps`` batches the list is copied to the host in one transfer and inspected (with
several processes, one all-reduce of the verdict). The report still names the first bad batch; the
batches after it until the check are wasted compute only. One rule on every device keeps CPU runs
(and the tests) on the same code path as GPU runs.

A non-finite loss poisons the weights at the next optimizer step, so no checkpoint may be written
after one: the guard also checks the pending losses before every checkpoint save and when training
ends, and motionlab's `ModelCheckpoint` writes nothing on the guard's error. ``checkpoints/last.ckpt``
keeps the last good state (at most one epoch old).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import EarlyStopping, Timer
from torch import Tensor

from motionlab.errors import MotionlabError
from motionlab.training.summary import RunSummary


def stop_reason(trainer: L.Trainer) -> str:
    """What ended a fit that returned normally: ``max_time`` (``trainer.max_time``), ``early_stopping``,
    ``max_steps`` or ``max_epochs`` (also a fast dev run's single batch)."""
    for callback in trainer.callbacks:
        if isinstance(callback, Timer) and (callback.time_remaining() or 0.0) <= 0.0:
            return "max_time"
    for callback in trainer.callbacks:
        if isinstance(callback, EarlyStopping) and callback.stopped_epoch > 0:
            return "early_stopping"
    if trainer.max_steps != -1 and trainer.global_step >= trainer.max_steps:
        return "max_steps"
    return "max_epochs"


class NonFiniteLossError(MotionlabError, RuntimeError):
    """A training loss term went NaN or infinite; the message says where and what to try."""

    stopped_by = "non_finite_loss"


@dataclass(frozen=True)
class BatchPosition:
    epoch: int
    batch: int
    global_step: int

    def __str__(self) -> str:
        return f"epoch {self.epoch}, batch {self.batch} (global step {self.global_step})"


class FiniteLossGuard(L.Callback):
    """Raise `NonFiniteLossError` when a loss term of a training batch is NaN or infinite.

    Args:
        check_every_n_steps: how many training batches pass between two checks; each check is one
            device-to-host copy of their loss terms (1 = check every batch: a sync per step on GPU).
    """

    def __init__(self, check_every_n_steps: int = 25) -> None:
        if check_every_n_steps < 1:
            raise ValueError(f"check_every_n_steps must be >= 1, got {check_every_n_steps}")
        self.check_every_n_steps = check_every_n_steps
        self._reset()

    def _reset(self) -> None:
        self._names: tuple[str, ...] = ()
        self._pending: list[Tensor] = []
        self._positions: list[BatchPosition] = []
        self._step = 0
        self._last_finite: dict[str, tuple[float, BatchPosition]] = {}

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._reset()

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self._step = trainer.global_step

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        losses = outputs if isinstance(outputs, Mapping) else {"loss": outputs}
        losses = {name: value for name, value in losses.items() if isinstance(value, Tensor)}
        if not losses:  # a skipped batch (the task's training_step returned None)
            return
        names = tuple(losses)
        if names != self._names:
            self._check(trainer)
            self._names = names
        self._pending.append(torch.stack([value.detach().float().reshape(()) for value in losses.values()]))
        self._positions.append(BatchPosition(trainer.current_epoch, batch_idx, self._step))
        if len(self._pending) >= self.check_every_n_steps:
            self._check(trainer)

    def on_save_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        self._check(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._check(trainer)

    def _check(self, trainer: L.Trainer) -> None:
        """Inspect the pending losses (one transfer); every process takes part in the decision."""
        rows = torch.stack(self._pending).cpu() if self._pending else torch.zeros(0, len(self._names))
        positions, self._pending, self._positions = self._positions, [], []
        finite = torch.isfinite(rows)
        local_bad = not bool(finite.all())
        if not trainer.strategy.reduce_boolean_decision(local_bad, all=False):
            self._remember_last_finite(rows, positions)
            return
        if not local_bad:
            raise NonFiniteLossError("the training loss went non-finite in another process: see its log")
        first = int((~finite.all(dim=1)).nonzero()[0])
        self._remember_last_finite(rows[:first], positions[:first])
        raise NonFiniteLossError(self._message(trainer, rows[first], positions[first]))

    def _remember_last_finite(self, rows: Tensor, positions: list[BatchPosition]) -> None:
        for column, name in enumerate(self._names):
            finite_rows = torch.isfinite(rows[:, column]).nonzero()
            if len(finite_rows):
                row = int(finite_rows[-1])
                self._last_finite[name] = (float(rows[row, column]), positions[row])

    def _message(self, trainer: L.Trainer, values: Tensor, where: BatchPosition) -> str:
        named = zip(self._names, values.tolist(), strict=True)
        bad = [name for name, value in named if not math.isfinite(value)]
        good = [name for name in self._names if name not in bad]

        def last(name: str) -> str:
            if name not in self._last_finite:
                return f"{name} was never finite"
            value, position = self._last_finite[name]
            return f"{name} = {value:.6g} at global step {position.global_step}"

        lines = [
            f"training loss went non-finite at {where}: "
            + ", ".join(f"{name} = {float(values[self._names.index(name)])}" for name in bad)
            + f"; last finite: {', '.join(last(name) for name in bad)}"
            + (f"; still finite: {', '.join(good)}" if good else "")
            + ".",
            "Stopped without writing a checkpoint of these weights: checkpoints/last.ckpt keeps the last "
            "good state. Try:",
            *[f"  - {hint}" for hint in _hints(trainer)],
        ]
        return "\n".join(lines)


def _hints(trainer: L.Trainer) -> list[str]:
    """What to try, with the run's current settings."""
    lrs = sorted({group["lr"] for optimizer in trainer.optimizers for group in optimizer.param_groups})
    clip = trainer.gradient_clip_val
    hints = [
        f"a lower learning rate (now {', '.join(f'{lr:g}' for lr in lrs)}): task.optimizer.lr=...",
        "gradient clipping: trainer.gradient_clip_val=1.0"
        if not clip
        else f"stronger gradient clipping (now trainer.gradient_clip_val={clip:g})",
        "checking the data for NaN/inf inputs or targets (data_report.json counts the NaN frames "
        "interpolated or dropped; targets are not checked)",
    ]
    if "16" in str(trainer.precision):
        hints.append(f"full precision: trainer.precision=32-true (now {trainer.precision})")
    return hints


class NonFiniteMetricError(MotionlabError, RuntimeError):
    """A test metric came out NaN or infinite: the model or its data is broken, not complete."""

    stopped_by = "non_finite_test_metric"


def check_finite_test_metrics(test_metrics: dict[str, float], summary: RunSummary) -> None:
    """Record the test metrics and fail the run when any of them is not finite (e.g. ``inf`` from
    inputs near the float32 limit): such a run is never ``completed``."""
    broken = {name: value for name, value in test_metrics.items() if not math.isfinite(value)}
    if not broken:
        return
    summary.update(test_metrics=test_metrics)
    raise NonFiniteMetricError(
        f"test metric(s) not finite: {', '.join(f'{name} = {value}' for name, value in broken.items())} — "
        "look for extreme or broken values in the test data (data_report.json lists the recordings), or "
        "a diverged model (summary.json history)"
    )
