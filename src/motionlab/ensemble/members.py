"""Which runs an ensemble averages: runs given by directory, the top-k trials of a sweep, or the folds
of a cross-validation.

* a sweep's trials are ``<sweeps_dir>/<study>/trial_<n>/`` run directories; each ``summary.json``
  holds the trial's monitored value (``best_score``) and its direction (``monitor.mode``);
* a cross-validation writes ``<cv_dir>/cv_summary.json`` whose ``folds`` list names each fold's
  ``run_dir`` and ``best_checkpoint``.

Every member is read through `motionlab.export.source.run_source`, so it must be a completed run.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from motionlab.ensemble.module import build_ensemble
from motionlab.errors import ConfigError, DataFormatError
from motionlab.export.graph import load_task
from motionlab.export.source import ExportSource, ModelSource, resolve_source, run_source
from motionlab.tasks.base import MotionTask
from motionlab.training.checkpoints import CV_SUMMARY, SUMMARY, read_json

log = logging.getLogger(__name__)

TRIAL_GLOB = "trial_*"


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
    none is set."""
    runs, sweep, cv = list(settings.runs or []), settings.sweep, settings.cv
    given = [name for name, value in (("runs", runs), ("sweep", sweep), ("cv", cv)) if value]
    if not given:
        return None
    if len(given) > 1:
        raise ConfigError(
            "ensemble", f"sets {' and '.join(given)}", "give the members one way: runs, sweep or cv"
        )
    if runs:
        members = [run_source(Path(run)) for run in runs]
        key = hashlib.sha1("\n".join(str(Path(r).resolve()) for r in runs).encode()).hexdigest()[:8]
        origin, default_dir = {"kind": "runs"}, Path(log_dir) / "ensembles" / f"ensemble_{key}"
    elif sweep:
        study_dir = Path(sweeps_dir) / sweep
        members = top_trials(study_dir, int(settings.top_k))
        origin, default_dir = (
            {"kind": "sweep", "study": sweep, "top_k": int(settings.top_k)},
            study_dir / f"ensemble_top{settings.top_k}",
        )
    else:
        members = cv_folds(Path(cv))
        origin, default_dir = {"kind": "cv", "cv_dir": str(cv)}, Path(cv) / "ensemble"
    if len(members) < 2:
        raise ConfigError(
            "ensemble", f"found {len(members)} member(s) ({origin})", "an ensemble needs two or more runs"
        )
    return EnsembleSource(members, origin, Path(settings.dir) if settings.dir else default_dir)


def top_trials(study_dir: Path, k: int) -> list[ExportSource]:
    """The ``k`` completed trials of the sweep in ``study_dir`` with the best monitored values."""
    if k < 2:
        raise ConfigError("ensemble.top_k", f"is {k}", "use 2 or more")
    scored = []
    for summary_path in sorted(study_dir.glob(f"{TRIAL_GLOB}/{SUMMARY}")):
        summary = read_json(summary_path)
        score = summary.get("best_score")
        if summary.get("status") != "completed" or not summary.get("best_checkpoint") or score is None:
            continue
        if not math.isfinite(score):
            continue
        sign = -1.0 if (summary.get("monitor") or {}).get("mode") == "max" else 1.0
        scored.append((sign * score, summary_path.parent))
    if not scored:
        raise FileNotFoundError(
            f"{study_dir}: no completed trial ({TRIAL_GLOB}/{SUMMARY}): run the sweep first (sweep.py)"
        )
    if len(scored) < k:
        log.warning(
            "sweep %s has %d completed trial(s), fewer than top_k=%d: using them all",
            study_dir,
            len(scored),
            k,
        )
    return [run_source(run_dir) for _, run_dir in sorted(scored)[:k]]


def cv_folds(cv_dir: Path) -> list[ExportSource]:
    """The fold runs listed in ``<cv_dir>/cv_summary.json`` (``folds: [{run_dir, best_checkpoint}]``)."""
    path = cv_dir / CV_SUMMARY
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no cross-validation summary — is {cv_dir} a cross-validation run?")
    folds = read_json(path).get("folds")
    if not isinstance(folds, list) or not folds:
        raise DataFormatError(path, "has no 'folds' list", "re-run the cross-validation that wrote it")
    members = []
    for index, fold in enumerate(folds):
        if not isinstance(fold, dict) or not fold.get("run_dir"):
            raise DataFormatError(path, f"folds[{index}] names no run_dir", "re-run the cross-validation")
        members.append(run_source(Path(fold["run_dir"]), fold.get("best_checkpoint")))
    return members
