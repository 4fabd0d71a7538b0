"""Which checkpoint to export or evaluate: the latest completed run, a named run, or a sweep's best
trial (`resolve_source`); ensembles of runs are in `motionlab.runs.ensembles`, whose
`resolve_model_source` is what export.py and evaluate.py call.

Which runs those are is found by `motionlab.runs.find` (``summary.json``, ``best.json``); here the
run's ``config.yaml`` (the resolved config: task class, data) and checkpoint are checked
(`motionlab.targets`) and turned into tasks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from omegaconf import DictConfig, OmegaConf

from motionlab.errors import ConfigError
from motionlab.files import file_sha256
from motionlab.models.encoders import Encoder
from motionlab.runs.find import completed_run_checkpoint, latest_completed_run, sweep_best
from motionlab.runs.layout import RUN_CONFIG
from motionlab.targets import allowed_class, check_targets, current_targets
from motionlab.tasks.base import MotionTask


def load_task(checkpoint: str | Path, task_target: str) -> MotionTask:
    """The task class named by ``task_target`` (the run config's ``task._target_``), rebuilt from
    ``checkpoint`` on the CPU in eval mode."""
    task_class = allowed_class(task_target, MotionTask, "task._target_")
    task = task_class.load_from_checkpoint(str(checkpoint), map_location="cpu")
    return task.eval()


class ModelSource(Protocol):
    """What export and evaluation need of a model: one run's checkpoint (`ExportSource`) or several
    runs averaged (`motionlab.runs.ensembles.EnsembleSource`)."""

    #: where the model's exports and evaluations are written by default.
    run_dir: Path
    #: the resolved run config (its data and task); an ensemble's is its first member's.
    config: DictConfig
    monitor: dict[str, Any]
    test_metrics: dict[str, float]
    #: the model's name in the registry unless one is given.
    name: str

    def describe(self) -> dict[str, Any]: ...

    def runs(self) -> list[Path]:
        """The run directories whose training made the model's weights (an ensemble's members)."""
        ...

    def checkpoint_sha256(self) -> str:
        """The identity of the weights: what an identical re-export is recognised by."""
        ...

    def task_builder(self) -> Callable[[], MotionTask]: ...


@dataclass
class ExportSource:
    """A checkpoint to export and the facts about its run that go into the model card."""

    run_dir: Path
    checkpoint: Path
    config: DictConfig
    monitor: dict[str, Any]
    test_metrics: dict[str, float] = field(default_factory=dict)
    sweep: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        """The run's name (``workout_tcn``): the model's name in the registry unless one is given."""
        return str(self.config.get("name") or self.run_dir.parent.name)

    @property
    def task_target(self) -> str:
        return str(self.config.task._target_)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"run_dir": str(self.run_dir), "checkpoint": str(self.checkpoint)}
        if self.sweep is not None:
            described["sweep"] = self.sweep
        return described

    def runs(self) -> list[Path]:
        return [self.run_dir]

    def checkpoint_sha256(self) -> str:
        return file_sha256(self.checkpoint)

    def task_builder(self) -> Callable[[], MotionTask]:
        """A picklable function that loads the checkpoint's task (for a fresh export process too)."""
        return functools.partial(load_task, str(self.checkpoint), self.task_target)


def run_source(
    run_dir: Path, checkpoint: str | Path | None = None, sweep: dict | None = None
) -> ExportSource:
    """The run at ``run_dir``; its best checkpoint unless ``checkpoint`` names another one."""
    summary, checkpoint = completed_run_checkpoint(run_dir, checkpoint)
    config_path = run_dir / RUN_CONFIG
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path}: missing; the run's resolved config names its task and data")
    config = OmegaConf.create(current_targets(OmegaConf.load(config_path)))  # older runs: renamed classes
    check_stored_model(config, checkpoint)
    monitor = dict(summary.get("monitor") or {})
    monitor["value"] = summary.get("best_score")
    return ExportSource(
        run_dir=run_dir,
        checkpoint=checkpoint,
        config=config,
        monitor=monitor,
        test_metrics=dict(summary.get("test_metrics") or {}),
        sweep=sweep,
    )


def check_stored_model(config: DictConfig, checkpoint: Path) -> None:
    """Refuse a run whose ``config.yaml`` or checkpoint names anything but motionlab's own classes
    (`motionlab.targets`), before anything is built from them."""
    check_targets(config, "")
    task = allowed_class(config.get("task", {}).get("_target_"), MotionTask, "task._target_")
    if not task.exportable:
        raise ConfigError(
            "run",
            f"{checkpoint} is from a {task.__name__} run: there is nothing to export or evaluate (its "
            "encoder is learned for fine-tuning and makes no predictions an app could use)",
            "fine-tune it (python train.py <your recipe> init_from=<that run>) and export the fine-tuned run",
        )
    hparams = torch.load(checkpoint, map_location="cpu", weights_only=True).get("hyper_parameters") or {}
    check_targets(hparams.get("encoder", {}), f"{checkpoint}: hyper_parameters.encoder", Encoder)


def sweep_source(sweeps_dir: Path, study: str) -> ExportSource:
    """The best trial of ``study`` as recorded in ``<sweeps_dir>/<study>/best.json``."""
    best = sweep_best(sweeps_dir, study)
    sweep = {key: best.get(key) for key in ("study", "trial", "value", "params")}
    return run_source(Path(best["run_dir"]), best["best_checkpoint"], sweep=sweep)


def resolve_source(
    run: str | None, sweep: str | None, log_dir: str | Path, sweeps_dir: str | Path
) -> ExportSource:
    """``run`` (a run directory) or ``sweep`` (a study name) or, with neither, the latest completed
    run under ``log_dir``."""
    if run and sweep:
        raise ConfigError("run / sweep", "both are set", "export either a run or a sweep's best trial")
    if sweep:
        return sweep_source(Path(sweeps_dir), sweep)
    if run:
        return run_source(Path(run))
    return run_source(latest_completed_run(Path(log_dir)))
