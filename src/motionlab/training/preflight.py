"""Checks before a run starts: settings Lightning would accept and fail on later, and a run directory
that already holds a completed run."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from motionlab.errors import ConfigError
from motionlab.files import read_json
from motionlab.runs.layout import SUMMARY

# Trainer settings that must be whole numbers; Lightning would accept text and fail later on an assert.
WHOLE_NUMBER_SETTINGS = (
    "max_epochs",
    "min_epochs",
    "max_steps",
    "min_steps",
    "accumulate_grad_batches",
    "log_every_n_steps",
    "check_val_every_n_epoch",
    "num_nodes",
)


def check_whole_numbers(trainer: DictConfig) -> None:
    """A `ConfigError` naming the first trainer setting of `WHOLE_NUMBER_SETTINGS` that is not one."""
    for key in WHOLE_NUMBER_SETTINGS:
        value = trainer.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"trainer.{key}", f"{value!r} is not a whole number", f"e.g. trainer.{key}=20")


def refuse_completed_run(run_dir: Path) -> None:
    """A `ConfigError` when ``run_dir`` already holds a completed run: a fresh run there would replace
    its best checkpoint and summary and mix its TensorBoard events."""
    path = run_dir / SUMMARY
    summary = read_json(path) if path.is_file() else {}
    if summary.get("status") != "completed":
        return
    raise ConfigError(
        "hydra.run.dir",
        f"{run_dir} holds the completed run {summary.get('name')!r}: training there would "
        "replace its best checkpoint and summary",
        f"train into a new directory (leave hydra.run.dir unset), continue this run with make resume "
        f"RUN={run_dir} ARGS=trainer.max_epochs=<more>, or replace it with overwrite=true",
    )
