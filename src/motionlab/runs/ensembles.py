"""Which runs an ensemble averages: runs given by directory, the top-k trials of a sweep, or the folds
of a cross-validation (found by `motionlab.runs.find`), and `resolve_model_source`, the one call that
turns export.py's and evaluate.py's settings into the model they work on (an ensemble or one run).

Every member is read through `motionlab.runs.sources.run_source`, so it must be a completed run.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from motionlab.ensemble.module import build_ensemble
from motionlab.errors import ConfigError
from motionlab.runs.find import RunCheckpoint, cv_fold_runs, top_trial_runs
from motionlab.runs.layout import ENSEMBLE_DIR, ENSEMBLES_DIR
from motionlab.runs.sources import ExportSource, ModelSource, load_task, resolve_source, run_source
from motionlab.tasks.base import MotionTask


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
        origin, default_dir = {"kind": "runs"}, Path(log_dir) / ENSEMBLES_DIR / f"{ENSEMBLE_DIR}_{key}"
    elif sweep:
        study_dir = Path(sweeps_dir) / sweep
        found = top_trial_runs(study_dir, int(settings.top_k))
        origin, default_dir = (
            {"kind": "sweep", "study": sweep, "top_k": int(settings.top_k)},
            study_dir / f"{ENSEMBLE_DIR}_top{settings.top_k}",
        )
    else:
        found = cv_fold_runs(Path(cv))
        origin, default_dir = {"kind": "cv", "cv_dir": str(cv)}, Path(cv) / ENSEMBLE_DIR
    members = [run_source(run_dir, checkpoint) for run_dir, checkpoint in found]
    if len(members) < 2:
        raise ConfigError(
            "ensemble", f"found {len(members)} member(s) ({origin})", "an ensemble needs two or more runs"
        )
    return EnsembleSource(members, origin, Path(settings.dir) if settings.dir else default_dir)
