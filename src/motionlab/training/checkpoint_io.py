"""Checkpoints written atomically: a crash or a full disk never leaves a broken file where a good one was.

Lightning writes a checkpoint through fsspec straight to its path, so a full disk (or a kill) mid-write
left ``last.ckpt`` truncated and unloadable, and a 0-byte temporary file beside it. Here the checkpoint
is written to a temporary file in the same directory, flushed to disk (``fsync``) and renamed over the
old one (the directory is synced too, so the rename itself survives a power loss); on any failure the
temporary file is removed — which also gives back the space the run needs to record its failure — and
the old checkpoint stays as it was.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from motionlab.files import atomic_output


def save_atomic(checkpoint: dict[str, Any], path: str | Path) -> None:
    """``torch.save(checkpoint, path)``, atomically (`motionlab.files.atomic_output`: temporary file,
    fsync, rename)."""
    # Serialised in memory first (as Lightning does): torch.save's zip writer turns a failing write
    # into a RuntimeError about positions, where a plain write raises the OSError (ENOSPC) it is.
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    with atomic_output(Path(path)) as temporary:
        temporary.write_bytes(buffer.getbuffer())


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint I/O for local files, saving with `save_atomic`."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
        if storage_options is not None:
            raise TypeError("storage_options are not supported for local checkpoints")
        save_atomic(checkpoint, path)
