"""Finding checkpoints and runs to resume."""

from __future__ import annotations

from pathlib import Path

LAST = "last.ckpt"


def latest_run_dir(log_dir: Path) -> Path:
    """The run directory whose ``checkpoints/last.ckpt`` was written most recently under ``log_dir``."""
    candidates = list(log_dir.glob(f"**/checkpoints/{LAST}"))
    if not candidates:
        raise FileNotFoundError(f"no run with checkpoints/{LAST} under {log_dir}: nothing to resume")
    return max(candidates, key=lambda p: p.stat().st_mtime).parent.parent


def resolve_ckpt_path(ckpt_path: str | None) -> str | None:
    """``None`` → a fresh run; otherwise the checkpoint file, which must exist."""
    if ckpt_path is None:
        return None
    if not Path(ckpt_path).is_file():
        raise FileNotFoundError(f"ckpt_path={ckpt_path}: no such checkpoint file")
    return str(ckpt_path)


def is_inside(path: str | Path, directory: Path) -> bool:
    return directory.resolve() in Path(path).resolve().parents
