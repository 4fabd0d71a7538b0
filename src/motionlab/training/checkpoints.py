"""Checkpoints to resume from: ``ckpt_path`` checked before a run starts."""

from __future__ import annotations

from pathlib import Path

from motionlab.errors import DataFormatError


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


def is_inside(path: str | Path, directory: Path) -> bool:
    return directory.resolve() in Path(path).resolve().parents
