"""Finding runs on disk: the latest completed run, the latest stopped one, a sweep's best trial, its
top-k trials and the folds of a cross-validation. Everything here reads ``summary.json``,
``best.json`` and ``cv_summary.json`` only (no model is loaded); `motionlab.runs.sources` builds
the models' sources from what is found.

* a run's ``summary.json`` holds its status, best checkpoint and monitored value (``best_score``,
  direction ``monitor.mode``); a sweep's trials are ``<sweeps_dir>/<study>/trial_<n>/`` runs;
* a sweep names its best trial in ``<sweeps_dir>/<study>/best.json``:
  ``{"study", "trial", "value", "params", "run_dir", "best_checkpoint"}``;
* a cross-validation writes ``<cv_dir>/cv_summary.json`` whose ``folds`` list names each fold's
  ``run_dir`` and ``best_checkpoint``.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from motionlab.errors import ConfigError, DataFormatError
from motionlab.files import read_json
from motionlab.runs.layout import (
    CHECKPOINTS_DIR,
    CV_SUMMARY,
    LAST_CHECKPOINT,
    SUMMARY,
    SWEEP_BEST,
    TRIAL_GLOB,
)
from motionlab.runs.status import RESUMABLE, run_status

log = logging.getLogger(__name__)

#: A member of an ensemble as found on disk: its run directory and a checkpoint other than its best.
RunCheckpoint = tuple[Path, str | None]


def latest_completed_run(log_dir: Path) -> Path:
    """The run under ``log_dir`` whose completed ``summary.json`` finished last and names a best
    checkpoint (running, failed and interrupted runs are passed over)."""
    finished = []
    for path in log_dir.glob(f"**/{SUMMARY}"):
        try:
            summary = read_json(path)
        except DataFormatError as error:  # one truncated summary does not hide the other runs
            log.warning("skipped %s", error)
            continue
        if summary.get("status") == "completed" and summary.get("best_checkpoint"):
            finished.append((summary.get("finished_at") or "", path.stat().st_mtime, path.parent))
    if not finished:
        raise FileNotFoundError(
            f"no completed run with a best checkpoint under {log_dir} (looked for {SUMMARY} with "
            "status 'completed'): train one first (make train) or pass run=outputs/<name>/<time>"
        )
    return max(finished)[2]


def latest_run_dir(log_dir: Path) -> Path:
    """The stopped run (interrupted, failed, or killed while running: `RESUMABLE`) whose
    ``checkpoints/last.ckpt`` was written most recently under ``log_dir``; completed runs and
    pruned sweep trials are passed over."""
    candidates = [
        path
        for path in log_dir.glob(f"**/{CHECKPOINTS_DIR}/{LAST_CHECKPOINT}")
        if _resumable(path.parent.parent / SUMMARY)
    ]
    if not candidates:
        raise FileNotFoundError(
            f"no stopped run (status {', '.join(RESUMABLE)}) with {CHECKPOINTS_DIR}/{LAST_CHECKPOINT} "
            f"under {log_dir}: nothing to resume — name a run with make resume RUN=outputs/<name>/<time>"
        )
    return max(candidates, key=lambda p: p.stat().st_mtime).parent.parent


def _resumable(summary: Path) -> bool:
    try:
        return run_status(json.loads(summary.read_text())) in RESUMABLE
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False


def enclosing_cross_validation(run_dir: Path) -> Path:
    """The cross-validation directory when ``run_dir`` is one of its folds; otherwise ``run_dir``."""
    return run_dir.parent if (run_dir.parent / CV_SUMMARY).is_file() else run_dir


def completed_run_checkpoint(
    run_dir: Path, checkpoint: str | Path | None = None, key: str = "run"
) -> tuple[dict[str, Any], Path]:
    """The ``summary.json`` of the completed run at ``run_dir`` and its best checkpoint (or
    ``checkpoint`` when given). ``key`` names the setting that chose the run, for the error message."""
    summary_path = run_dir / SUMMARY
    if not summary_path.is_file():
        raise FileNotFoundError(f"{summary_path}: no run summary — is {run_dir} a motionlab run directory?")
    summary = read_json(summary_path)
    if summary.get("status") != "completed":
        raise ConfigError(
            key,
            f"{run_dir} has status {summary.get('status')!r}, not 'completed'",
            "use a completed run, or resume this one first (make resume RUN=...)",
        )
    path = Path(checkpoint or summary.get("best_checkpoint") or "")
    if not path.is_file():
        raise FileNotFoundError(f"{summary_path}: best checkpoint {str(path)!r} does not exist")
    return summary, path


def sweep_best(sweeps_dir: Path, study: str) -> dict[str, Any]:
    """The best trial of ``study`` as recorded in ``<sweeps_dir>/<study>/best.json``."""
    path = sweeps_dir / study / SWEEP_BEST
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no best trial recorded for sweep {study!r} — run the sweep first")
    best = read_json(path)
    missing = {"study", "trial", "value", "run_dir", "best_checkpoint"} - set(best)
    if missing:
        raise ConfigError("sweep", f"{path} lacks {', '.join(sorted(missing))}", "re-run the sweep")
    return best


def top_trial_runs(study_dir: Path, k: int) -> list[RunCheckpoint]:
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
    return [(run_dir, None) for _, run_dir in sorted(scored)[:k]]


def cv_fold_runs(cv_dir: Path) -> list[RunCheckpoint]:
    """The fold runs listed in ``<cv_dir>/cv_summary.json`` (``folds: [{run_dir, best_checkpoint}]``)."""
    path = cv_dir / CV_SUMMARY
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no cross-validation summary — is {cv_dir} a cross-validation run?")
    folds = read_json(path).get("folds")
    if not isinstance(folds, list) or not folds:
        raise DataFormatError(path, "has no 'folds' list", "re-run the cross-validation that wrote it")
    runs = []
    for index, fold in enumerate(folds):
        if not isinstance(fold, dict) or not fold.get("run_dir"):
            raise DataFormatError(path, f"folds[{index}] names no run_dir", "re-run the cross-validation")
        runs.append((Path(fold["run_dir"]), fold.get("best_checkpoint")))
    return runs
