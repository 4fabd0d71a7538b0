"""The workout setup several benchmarks share: seed 004's sample (12 subjects) and its TCN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch

from motionlab.data.workout.datamodule import WorkoutDataModule
from motionlab.tasks import WorkoutTask

WORKOUT_DATA: dict[str, Any] = {
    "path": None,
    "cache_dir": "data/sample",
    "sample": {"num_subjects": 12, "sessions_per_subject": 2, "seed": 0},
    "classes": ["push_up", "squat", "pull_up", "dip", "no_exercise"],
    "rep_half_width": 4.0,
    "positive_ratio": None,
    "window": 30,
    "stride": 10,
    "batch_size": 64,
    "split": {"by": "subject"},
}
TCN_ENCODER = {"_target_": "motionlab.models.encoders.TCNEncoder"}  # seed 004 defaults: 128 filters, 8 blocks


def workout_datamodule(**overrides: Any) -> WorkoutDataModule:
    """The workout sample, set up for fitting; ``overrides`` replace `WORKOUT_DATA` settings."""
    settings = {**WORKOUT_DATA, **overrides}
    Path(settings["cache_dir"]).mkdir(parents=True, exist_ok=True)
    datamodule = WorkoutDataModule(**settings)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


def fresh_workout_task(datamodule: WorkoutDataModule, encoder: dict = TCN_ENCODER) -> WorkoutTask:
    """A newly initialised (seed 0) workout task with the datamodule's normalisation statistics."""
    torch.manual_seed(0)
    task = WorkoutTask(
        encoder,
        datamodule.spec.to_dict(),
        {"name": "adamw", "lr": 5e-4},
        None,
        {"metric": "val/loss", "mode": "min"},
    )
    task.normalizer.set_stats(datamodule.feature_stats.mean, datamodule.feature_stats.std)
    return task


def bare_trainer(batches: int, **settings: Any) -> L.Trainer:
    """A one-epoch CPU trainer of ``batches`` training batches with nothing but the loop (no
    validation, logger, checkpoints, progress bar or summary), so it times training alone."""
    return L.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=1,
        limit_train_batches=batches,
        limit_val_batches=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        **settings,
    )
