"""Finding checkpoints and runs to resume."""

from __future__ import annotations

from pathlib import Path

LAST = "last.ckpt"
# A cross-validation's summary, in the directory that holds its fold runs (fold_<i>/).
CV_SUMMARY = "cv_summary.json"


def latest_run_dir(log_dir: Path) -> Path:
    """The run directory whose ``checkpoints/last.ckpt`` was written most recently under ``log_dir``."""
    candidates = list(log_dir.glob(f"**/checkpoints/{LAST}"))
    if not candidates:
        raise FileNotFoundError(f"no run with checkpoints/{LAST} under {log_dir}: nothing to resume")
    return max(candidates, key=lambda p: p.stat().st_mtime).parent.parent


def enclosing_cross_validation(run_dir: Path) -> Path:
    """The cross-validation directory when ``run_dir`` is one of its folds; otherwise ``run_dir``."""
    return run_dir.parent if (run_dir.parent / CV_SUMMARY).is_file() else run_dir


def resolve_ckpt_path(ckpt_path: str | None) -> str | None:
    """``None`` → a fresh run; otherwise the checkpoint file, which must exist."""
    if ckpt_path is None:
        return None
    if not Path(ckpt_path).is_file():
        raise FileNotFoundError(f"ckpt_path={ckpt_path}: no such checkpoint file")
    return str(ckpt_path)


def is_inside(path: str | Path, directory: Path) -> bool:
    return directory.resolve() in Path(path).resolve().parents
