"""`evaluate(cfg)`: a checkpoint or an ensemble on a split of its own data or of other data → the
task's own test metrics in ``evaluation_<split>.json`` and its per-window predictions in a table.

The metrics come from `trainer.test`, i.e. from the task's own metric code, its whole-recording
evaluation and its evaluation report, on whichever windows are chosen: the test stage is the one
that keeps what the validation calibrated (count thresholds, confidence calibration) unchanged.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
from omegaconf import DictConfig, OmegaConf
from torch import Tensor
from torch.utils.data import DataLoader

from motionlab.data.datamodule import MotionDataModule
from motionlab.data.splits import SPLITS
from motionlab.data.windows import WindowSet
from motionlab.errors import ConfigError
from motionlab.evaluation.data import ALL, evaluation_data_config, load_evaluation_data, split_windows
from motionlab.evaluation.predictions import predict_windows, prediction_table, recording_table, write_table
from motionlab.files import read_json, write_json_atomic
from motionlab.runs.ensembles import resolve_model_source
from motionlab.runs.layout import DATA_REPORT, EVALUATION_DIR
from motionlab.runs.sources import ExportSource, ModelSource, run_source
from motionlab.tasks.base import MotionTask

log = logging.getLogger(__name__)

TEST_PREFIX = "test/"


@dataclass
class EvaluationResult:
    metrics: dict[str, float]
    report: dict[str, Any]
    report_path: Path
    predictions_path: Path | None
    recordings_path: Path | None = None


def evaluate(cfg: DictConfig) -> EvaluationResult:
    """Evaluate the model ``cfg`` names (``configs/evaluate.yaml``) and write its report and predictions."""
    source = model_source(cfg)
    task = source.task_builder()()
    overrides = OmegaConf.to_container(cfg.data, resolve=True) if cfg.data else {}
    datamodule = load_evaluation_data(evaluation_data_config(source.config.data, overrides, task), task)
    windows = split_windows(datamodule, cfg.split)
    splits = window_splits(datamodule, cfg.split)
    trainer = L.Trainer(
        accelerator=cfg.trainer.accelerator,
        devices=cfg.trainer.devices,
        precision=cfg.trainer.precision or source.config.trainer.get("precision", "32-true"),
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    results = trainer.test(task, datamodule=WindowsUnderTest(datamodule, windows), verbose=False)
    metrics = {name.removeprefix(TEST_PREFIX): float(value) for name, value in results[0].items()}

    output_dir = Path(cfg.output_dir or source.run_dir / EVALUATION_DIR)
    predictions_path = recordings_path = None
    if cfg.predictions.enabled:
        outputs, targets = predict_windows(task, datamodule, windows, cfg.predictions.batch_size)
        table = prediction_table(
            windows,
            splits,
            outputs,
            targets,
            task.output_labels(),
            class_target(datamodule),
            datamodule.recording_groups(windows.recordings),
        )
        predictions_path = write_table(table, output_dir / f"predictions_{cfg.split}", cfg.predictions.format)
        recordings_path = _write_recordings(
            task, datamodule, windows, splits, outputs, targets, output_dir, cfg
        )
    seen = groups_seen_in_training(source.runs(), evaluated_groups(datamodule, cfg.split))
    if seen and cfg.split == "test":
        log.warning(
            "not a held-out evaluation: %s trained or validated on test groups of this data (%s); "
            "evaluate on data none of its runs saw (+data.path=...). A cross-validation's folds, for "
            "one, have each trained on every other fold's test groups.",
            "the model" if len(source.runs()) == 1 else f"{len(seen)} of its {len(source.runs())} runs",
            ", ".join(sorted({group for groups in seen.values() for group in groups})),
        )
    report = {
        "model": source.describe(),
        "task": type(task).__name__,
        "split": cfg.split,
        "data": {
            "source": datamodule.describe_source(),
            "overrides": overrides,
            "recordings": len(windows.recordings),
            "windows": len(windows),
        },
        "metrics": metrics,
        "groups_seen_in_training": seen,
        "training_test_metrics": {
            name.removeprefix(TEST_PREFIX): value for name, value in source.test_metrics.items()
        },
        "evaluation_report": task.evaluation_report("test"),
        "details": _test_details(task),
        "predictions": str(predictions_path) if predictions_path else None,
        "recording_predictions": str(recordings_path) if recordings_path else None,
        "evaluated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    report_path = output_dir / f"evaluation_{cfg.split}.json"
    write_json_atomic(report_path, report)
    return EvaluationResult(metrics, report, report_path, predictions_path, recordings_path)


class WindowsUnderTest(L.LightningDataModule):
    """``windows`` (any split, or all of them) as the data of a `trainer.test`, loaded and shaped into
    batches as their datamodule does its own test split; the task's whole-recording evaluation gets
    their recordings."""

    def __init__(self, data: MotionDataModule, windows: WindowSet) -> None:
        super().__init__()
        self.data = data
        self.windows = windows

    def test_dataloader(self) -> DataLoader:
        return self.data.evaluation_loader(self.windows, self.trainer)

    def on_after_batch_transfer(self, batch: dict[str, Tensor], dataloader_idx: int) -> dict[str, Tensor]:
        """The datamodule's batch hook (inputs and targets of forecasting and imitation)."""
        return self.data.on_after_batch_transfer(batch, dataloader_idx)


def _write_recordings(
    task: MotionTask,
    datamodule: MotionDataModule,
    windows: WindowSet,
    splits: np.ndarray,
    outputs: dict[str, Tensor],
    targets: dict[str, Tensor],
    output_dir: Path,
    cfg: DictConfig,
) -> Path | None:
    """``predictions_<split>_recordings``: a window classifier's answer per recording
    (`recording_table`); ``None`` for other tasks."""
    output, target = task.window_class_output, class_target(datamodule)
    if output is None or target is None:
        return None
    key, class_names = target
    groups = datamodule.recording_groups(windows.recordings)
    table = recording_table(windows, splits, output, outputs[output], targets[key], class_names, groups)
    return write_table(table, output_dir / f"predictions_{cfg.split}_recordings", cfg.predictions.format)


def model_source(cfg: DictConfig) -> ModelSource:
    """`resolve_model_source`, with ``cfg.checkpoint`` replacing a single run's best checkpoint."""
    source = resolve_model_source(cfg)
    if not cfg.checkpoint:
        return source
    if not isinstance(source, ExportSource):
        raise ConfigError(
            "checkpoint", "is set for an ensemble", "ensembles use each member's best checkpoint"
        )
    chosen = run_source(source.run_dir, cfg.checkpoint, sweep=source.sweep)
    # the run's recorded test metrics belong to its best checkpoint
    return chosen if chosen.checkpoint == source.checkpoint else dataclasses.replace(chosen, test_metrics={})


def evaluated_groups(datamodule: MotionDataModule, split: str) -> set[str]:
    """The groups (subjects, sessions, ...) of the evaluated split(s)."""
    names = SPLITS if split == ALL else (split,)
    return {group for name in names for group in datamodule.report.splits[name].groups}


def groups_seen_in_training(runs: list[Path], groups: set[str]) -> dict[str, list[str]]:
    """Per run (an ensemble has several), the evaluated ``groups`` that its training or validation
    split held, by group name, from the run's ``data_report.json`` (runs without one are skipped)."""
    seen = {}
    for run_dir in runs:
        path = run_dir / DATA_REPORT
        if not path.is_file():
            continue
        splits = read_json(path).get("splits", {})
        fitted = {g for name in ("train", "val") for g in splits.get(name, {}).get("groups", [])}
        if overlap := sorted(fitted & groups):
            seen[str(run_dir)] = overlap
    return seen


def window_splits(datamodule: MotionDataModule, split: str) -> np.ndarray:
    """The split of every window of `split_windows` (``all``: train, val and test in that order)."""
    if split != ALL:
        return np.full(len(datamodule.windows[split]), split)
    return np.repeat(list(SPLITS), [len(datamodule.windows[name]) for name in SPLITS])


def class_target(datamodule: MotionDataModule) -> tuple[str, list[str]] | None:
    key = datamodule.class_target
    return None if key is None else (key, list(datamodule.spec.class_names))


def _test_details(task: MotionTask) -> dict[str, Any]:
    """The task's per-evaluation details of the test stage (confusion matrices, counts, rollouts)."""
    return {
        name.removeprefix("test_"): value
        for name, value in task.eval_details.items()
        if name.startswith("test_")
    }
