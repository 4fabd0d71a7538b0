"""Peak memory of a run for ``summary.json``: host RSS of every process, and CUDA memory per device.

Read at epoch boundaries and after testing, never per step (the CUDA counters are host-side and do
not sync, but there is no reason to read them more often).
"""

from __future__ import annotations

import math
import resource
import sys
from typing import Any

import lightning as L
import torch

MIB = 2**20


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (``ru_maxrss``: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak / 1024


def reset_cuda_peaks(trainer: L.Trainer) -> None:
    """Start the CUDA peak counters afresh, so that a run (e.g. one sweep trial of many in one process)
    reports its own peak. Host RSS cannot be reset: it is the process's peak so far."""
    device = trainer.strategy.root_device
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def resource_usage(trainer: L.Trainer) -> dict[str, Any]:
    """Peak memory of every process of the run (a collective: every process must call it).

    ``peak_rss_mb`` and the ``cuda_*`` keys are the largest over processes; the ``cuda_*`` values are
    ``None`` where no CUDA device is used. Per process: ``processes[rank]``.
    """
    device = trainer.strategy.root_device
    cuda = device.type == "cuda"
    local = [
        peak_rss_mb(),
        torch.cuda.max_memory_allocated(device) / MIB if cuda else math.nan,
        torch.cuda.max_memory_reserved(device) / MIB if cuda else math.nan,
    ]
    gathered = trainer.strategy.all_gather(torch.tensor(local, dtype=torch.float64, device=device))
    rows = gathered.reshape(-1, len(local)).cpu().tolist()
    keys = ("peak_rss_mb", "cuda_peak_allocated_mb", "cuda_peak_reserved_mb")
    processes = [
        {"rank": rank, **{key: _rounded(value) for key, value in zip(keys, row, strict=True)}}
        for rank, row in enumerate(rows)
    ]
    usage: dict[str, Any] = {key: _largest(p[key] for p in processes) for key in keys}
    usage["cuda_device"] = torch.cuda.get_device_name(device) if cuda else None
    usage["processes"] = processes
    return usage


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 1)


def _largest(values: Any) -> float | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None
