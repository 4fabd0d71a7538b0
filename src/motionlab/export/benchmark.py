"""Latency of the exported model in ONNX Runtime vs the PyTorch module it came from (eager, CPU).

Each configuration gets warm-up runs, then ``iterations`` timed runs; the median and the 90th
percentile are reported in milliseconds per batch. Sessions run sequentially with the given number
of intra-op threads (one inter-op thread), as an app on a phone or a small server would.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from motionlab.inference.onnx_model import model_feeds

WARMUP = 2


def time_calls(call: Callable[[], Any], iterations: int) -> dict[str, float]:
    for _ in range(WARMUP):
        call()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    ms = 1000 * np.array(times)
    return {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90))}


def onnx_session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def benchmark_latency(
    models: Mapping[str, Path],
    module: nn.Module,
    inputs: Sequence[np.ndarray],
    threads: Sequence[int],
    iterations: int,
) -> list[dict[str, Any]]:
    """One row per (runtime, batch size, threads): ``models`` are ONNX files by label (fp32, int8),
    ``module`` the PyTorch graph run eagerly, ``inputs`` one batch per batch size."""
    rows = []
    previous_threads = torch.get_num_threads()
    try:
        for count in threads:
            sessions = {label: onnx_session(path, count) for label, path in models.items()}
            torch.set_num_threads(count)
            for batch in inputs:
                tensor = torch.from_numpy(batch)
                calls = {f"onnxruntime {label}": _runner(s, batch) for label, s in sessions.items()}
                calls["pytorch eager"] = _eager(module, tensor)
                for runtime, call in calls.items():
                    timing = time_calls(call, iterations)
                    rows.append({"runtime": runtime, "batch": len(batch), "threads": count, **timing})
    finally:
        torch.set_num_threads(previous_threads)
    return rows


def _runner(session: ort.InferenceSession, batch: np.ndarray) -> Callable[[], Any]:
    feeds = model_feeds(session, batch)
    return lambda: session.run(None, feeds)


def _eager(module: nn.Module, tensor: torch.Tensor) -> Callable[[], Any]:
    def call() -> Any:
        with torch.inference_mode():
            return module(tensor)

    return call


def speedups(rows: Sequence[Mapping[str, Any]], runtime: str = "onnxruntime fp32") -> list[dict[str, Any]]:
    """PyTorch eager median / ``runtime`` median per (batch, threads)."""
    by_key = {(r["runtime"], r["batch"], r["threads"]): r["median_ms"] for r in rows}
    return [
        {"batch": b, "threads": t, "speedup": by_key[("pytorch eager", b, t)] / by_key[(runtime, b, t)]}
        for (name, b, t) in by_key
        if name == runtime and ("pytorch eager", b, t) in by_key
    ]
