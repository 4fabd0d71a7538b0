"""Model sources: what export and evaluation are given, resolved in one place from a run, a sweep's
best trial, the latest completed run, or an ensemble of runs (named runs, a sweep's top-k trials, the
folds of a cross-validation) — `resolve_model_source`. Which runs those are is found by
`motionlab.runs.find`; here their ``config.yaml`` and checkpoints are checked (`motionlab.targets`)
and turned into tasks.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from omegaconf import DictConfig, OmegaConf

from motionlab.ensemble.module import build_ensemble
from motionlab.errors import ConfigError
from motionlab.files import file_sha256
from motionlab.models.encoders import Encoder
from motionlab.runs.find import (
    RunCheckpoint,
    completed_run_checkpoint,
    cv_fold_runs,
    latest_completed_run,
    sweep_best,
    top_trial_runs,
)
from motionlab.runs.layout import ENSEMBLES_DIR, RUN_CONFIG
from motionlab.targets import allowed_class, check_targets
from motionlab.tasks.base import MotionTask


def load_task(checkpoint: str | Path, task_target: str) -> MotionTask:
    """The task class named by ``task_target`` (the run config's ``task._target_``), rebuilt from
    ``checkpoint`` on the CPU in eval mode."""
    task_class = allowed_class(task_target, MotionTask, "task._target_")
    task = task_class.load_from_checkpoint(str(checkpoint), map_location="cpu")
    return task.eval()


class ModelSource(Protocol):
    """What export and evaluation need of a model: one run's checkpoint (`ExportSource`) or several
    runs averaged (`EnsembleSource`)."""

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
    config = OmegaConf.load(config_path)
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
    allowed_class(config.get("task", {}).get("_target_"), MotionTask, "task._target_")
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


@dataclass
class EnsembleSource:
    """The members of an ensemble, where they came from, and where its outputs go (``run_dir``)."""

    members: list[ExportSource]
    origin: dict[str, Any]
    run_dir: Path

    @property
    def config(self) -> DictConfig:
        return self.members[0].config

    @property
    def monitor(self) -> dict[str, Any]:
        return {
            **self.members[0].monitor,
            "value": None,
            "member_values": [m.monitor.get("value") for m in self.members],
        }

    @property
    def test_metrics(self) -> dict[str, float]:
        return {}

    @property
    def name(self) -> str:
        """``<first member's name>_ensemble``: the registry name unless one is given."""
        return f"{self.members[0].name}_ensemble"

    def runs(self) -> list[Path]:
        return [member.run_dir for member in self.members]

    def checkpoint_sha256(self) -> str:
        """sha256 over the members' checkpoint hashes, in any order (the average does not depend on it)."""
        hashes = sorted(member.checkpoint_sha256() for member in self.members)
        return hashlib.sha256("\n".join(hashes).encode()).hexdigest()

    def describe(self) -> dict[str, Any]:
        return {"ensemble": {**self.origin, "members": [self._member(m) for m in self.members]}}

    def task_builder(self) -> Callable[[], MotionTask]:
        return functools.partial(
            load_ensemble,
            tuple(str(m.checkpoint) for m in self.members),
            tuple(str(m.config.task._target_) for m in self.members),
            tuple(self._member(m) for m in self.members),
        )

    @staticmethod
    def _member(member: ExportSource) -> dict[str, Any]:
        return {**member.describe(), "test_metrics": member.test_metrics}


def load_ensemble(
    checkpoints: Sequence[str], task_targets: Sequence[str], sources: Sequence[dict[str, Any]]
) -> MotionTask:
    """The ensemble of the tasks in ``checkpoints`` (module level: picklable for a fresh process)."""
    members = [
        load_task(checkpoint, target) for checkpoint, target in zip(checkpoints, task_targets, strict=True)
    ]
    return build_ensemble(members, sources)


def resolve_model_source(cfg: DictConfig) -> ModelSource:
    """The ensemble that ``cfg.ensemble`` describes, or else the run ``cfg.run`` / the sweep's best trial
    ``cfg.sweep`` / the latest completed run (`resolve_source`)."""
    ensemble = resolve_ensemble(cfg.ensemble, cfg.paths.log_dir, cfg.sweeps_dir)
    if ensemble is None:
        return resolve_source(cfg.run, cfg.sweep, cfg.paths.log_dir, cfg.sweeps_dir)
    if cfg.run or cfg.sweep:
        raise ConfigError(
            "run / sweep / ensemble", "a run or sweep is set together with an ensemble", "give one of them"
        )
    return ensemble


def resolve_ensemble(
    settings: DictConfig, log_dir: str | Path, sweeps_dir: str | Path
) -> EnsembleSource | None:
    """``settings``: ``runs`` (run directories), ``sweep`` (a study, with ``top_k``) or ``cv`` (a
    cross-validation directory), at most one of them; ``dir`` overrides where outputs go. None when
    none is set. Every member must be a completed run (`run_source`)."""
    runs, sweep, cv = list(settings.runs or []), settings.sweep, settings.cv
    given = [name for name, value in (("runs", runs), ("sweep", sweep), ("cv", cv)) if value]
    if not given:
        return None
    if len(given) > 1:
        raise ConfigError(
            "ensemble", f"sets {' and '.join(given)}", "give the members one way: runs, sweep or cv"
        )
    found: list[RunCheckpoint]
    if runs:
        found = [(Path(run), None) for run in runs]
        key = hashlib.sha1("\n".join(str(Path(r).resolve()) for r in runs).encode()).hexdigest()[:8]
        origin, default_dir = {"kind": "runs"}, Path(log_dir) / ENSEMBLES_DIR / f"ensemble_{key}"
    elif sweep:
        study_dir = Path(sweeps_dir) / sweep
        found = top_trial_runs(study_dir, int(settings.top_k))
        origin, default_dir = (
            {"kind": "sweep", "study": sweep, "top_k": int(settings.top_k)},
            study_dir / f"ensemble_top{settings.top_k}",
        )
    else:
        found = cv_fold_runs(Path(cv))
        origin, default_dir = {"kind": "cv", "cv_dir": str(cv)}, Path(cv) / "ensemble"
    members = [run_source(run_dir, checkpoint) for run_dir, checkpoint in found]
    if len(members) < 2:
        raise ConfigError(
            "ensemble", f"found {len(members)} member(s) ({origin})", "an ensemble needs two or more runs"
        )
    return EnsembleSource(members, origin, Path(settings.dir) if settings.dir else default_dir)
