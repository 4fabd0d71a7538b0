"""Finding checkpoints: runs to resume, checkpoint files, a completed run's best checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from motionlab.errors import ConfigError, DataFormatError
from motionlab.runs import RESUMABLE, run_status

LAST = "last.ckpt"
SUMMARY = "summary.json"
DATA_REPORT = "data_report.json"
# A cross-validation's summary, in the directory that holds its fold runs (fold_<i>/).
CV_SUMMARY = "cv_summary.json"


def latest_run_dir(log_dir: Path) -> Path:
    """The stopped run (interrupted, failed, or killed while running: `motionlab.runs.RESUMABLE`)
    whose ``checkpoints/last.ckpt`` was written most recently under ``log_dir``; completed runs and
    pruned sweep trials are passed over."""
    candidates = [
        path for path in log_dir.glob(f"**/checkpoints/{LAST}") if _resumable(path.parent.parent / SUMMARY)
    ]
    if not candidates:
        raise FileNotFoundError(
            f"no stopped run (status {', '.join(RESUMABLE)}) with checkpoints/{LAST} under {log_dir}: "
            "nothing to resume — name a run with make resume RUN=outputs/<name>/<time>"
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


def resolve_ckpt_path(ckpt_path: str | None) -> str | None:
    """``None`` → a fresh run; otherwise the checkpoint file, which must exist and load."""
    if ckpt_path is None:
        return None
    if not Path(ckpt_path).is_file():
        raise FileNotFoundError(f"ckpt_path={ckpt_path}: no such checkpoint file")
    check_loadable(Path(ckpt_path))
    return str(ckpt_path)


def check_loadable(checkpoint: Path) -> None:
    """Raise a `DataFormatError` when ``checkpoint`` cannot be read (a file cut short by a full disk
    or a crash before checkpoints were written atomically), naming the run's other checkpoints to
    resume from instead."""
    import torch

    try:
        torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True)
    except Exception as error:
        others = sorted(p.name for p in checkpoint.parent.glob("*.ckpt") if p != checkpoint)
        run_dir = checkpoint.parent.parent
        fix = (
            f"resume from {others[0]} instead: make resume RUN={run_dir} "
            f"ARGS=ckpt_path={checkpoint.parent / others[0]}"
            if others
            else "no other checkpoint in its directory: start the run again"
        )
        raise DataFormatError(
            checkpoint, f"cannot be loaded, it is damaged or incomplete ({error})", fix
        ) from None


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


def is_inside(path: str | Path, directory: Path) -> bool:
    return directory.resolve() in Path(path).resolve().parents


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise DataFormatError(path, f"not valid JSON ({error})", "re-run what wrote it") from error
