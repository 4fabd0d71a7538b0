"""``export.streaming=true``: ``<name>.streaming.onnx``, one frame in and the state kept, verified
against the windowed model on the same stream, with its per-frame latency.

The streaming graph (`motionlab.export.streaming_graph`) has no recurrent op and a time axis of one
frame, so it is exported in this process without the recurrent export patches. Verification feeds
real test frames one at a time from zero state and compares every output at every frame with the
windowed PyTorch model run on all frames up to that one: equal within ``verify.tolerance`` × max(1,
|value|), or the export fails and nothing is written.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch

from motionlab.errors import ConfigError
from motionlab.export.benchmark import time_calls
from motionlab.export.errors import ExportVerificationError
from motionlab.export.graph import INPUT_NAME, ExportGraph
from motionlab.export.metadata import set_metadata
from motionlab.export.onnx_export import BATCH_AXIS
from motionlab.export.streaming_graph import StreamingGraph, StreamingUnsupportedError
from motionlab.files import atomic_output
from motionlab.inference.onnx_model import OnnxMotionModel
from motionlab.inference.streaming import StreamingMotionModel
from motionlab.tasks.base import MotionTask

LATENCY_FRAMES = 200  # batch-1 runs timed for the per-frame latency


def streaming_graph(build_task: Callable[[], MotionTask], mode: str) -> StreamingGraph:
    """The task's streaming graph; a `ConfigError` on ``export.streaming`` saying why there is none."""
    try:
        return StreamingGraph(build_task(), mode).eval()
    except StreamingUnsupportedError as error:
        raise ConfigError("export.streaming", str(error)) from error


def streaming_metadata(graph: StreamingGraph, per_frame: list[str]) -> dict[str, Any]:
    """What an app needs to run the streaming file: its state tensors (zeros to start a stream) and
    which outputs are per frame (time axis of 1)."""
    return {
        "input": {"name": INPUT_NAME, "shape": [BATCH_AXIS, 1, graph.num_features]},
        "state": [
            {
                "name": spec.name,
                "input": f"state_{spec.name}",
                "output": f"next_state_{spec.name}",
                "shape": list(spec.shape),
                "initial": 0.0,
            }
            for spec in graph.state_specs
        ],
        "per_frame_outputs": per_frame,
        "reset": "zeros for every state input at the first frame of a stream",
    }


def export_streaming(graph: StreamingGraph, opset: int) -> onnx.ModelProto:
    batch = torch.export.Dim(BATCH_AXIS)
    example = (torch.zeros(2, 1, graph.num_features), *graph.zeros(2))
    with torch.no_grad():
        program = torch.onnx.export(
            graph,
            example,
            dynamo=True,
            external_data=False,
            opset_version=opset,
            input_names=[INPUT_NAME, *graph.input_names],
            output_names=[*graph.output_names, *graph.next_state_names],
            dynamic_shapes=({0: batch}, tuple({0: batch} for _ in example[1:])),  # (x, *state)
            verbose=False,
        )
    return program.model_proto


def write_streaming(
    build_task: Callable[[], MotionTask],
    windowed: ExportGraph,
    metadata: dict[str, Any],
    path: Path,
    stream: np.ndarray,
    opset: int,
    tolerance: float,
) -> dict[str, Any]:
    """Export, verify on ``stream [B, T, F]`` (real test frames), time, and only then write ``path``;
    returns the card's ``streaming`` section."""
    graph = streaming_graph(build_task, windowed.mode)
    per_frame = [n for n, o in metadata["outputs"].items() if o["shape"][1:2] == ["time"]]
    model = export_streaming(graph, opset)
    set_metadata(model, {**metadata, "streaming": streaming_metadata(graph, per_frame)})
    with atomic_output(path) as temporary:
        onnx.save(model, str(temporary))
        report = verify_streaming(temporary, windowed, stream, per_frame, tolerance)
        if not report["passed"]:
            raise ExportVerificationError(
                f"the streaming model {path} does not match the windowed model on the same stream "
                f"(tolerance {tolerance:g}); nothing was written: {report['error']}"
            )
        latency = streaming_latency(temporary, stream[0], graph.num_features)
    return {
        "file": path.name,
        **streaming_metadata(graph, per_frame),
        "verification": report,
        "latency": latency,
    }


def verify_streaming(
    path: Path, windowed: ExportGraph, stream: np.ndarray, per_frame: list[str], tolerance: float
) -> dict[str, Any]:
    """Every output at every frame ``t`` of ``stream``, fed one frame at a time from zero state, vs
    the windowed model (PyTorch) on frames ``0 … t``."""
    model = StreamingMotionModel(path, threads=1, batch=len(stream))
    streamed = model.run(stream)  # [B, T, ...] per output
    worst = dict.fromkeys(streamed, 0.0)
    problems = []
    for t in range(stream.shape[1]):
        expected = windowed.outputs(torch.from_numpy(np.ascontiguousarray(stream[:, : t + 1])))
        for name, want in expected.items():
            want = want.numpy()[:, -1] if name in per_frame else want.numpy()
            got = streamed[name][:, t]
            diff = np.abs(got.astype(np.float64) - want)
            worst[name] = max(worst[name], float(diff.max()))
            if not np.all(diff <= tolerance * np.maximum(1.0, np.abs(want))) and len(problems) < 5:
                problems.append(f"{name} at frame {t}: max |streaming − windowed| = {diff.max():.3g}")
    return {
        "reference": "the windowed model (PyTorch) on every frame of the stream up to the current one",
        "stream": list(stream.shape),
        "tolerance": tolerance,
        "max_abs_diff": worst,
        "passed": not problems,
        "error": "; ".join(problems) or None,
    }


def streaming_latency(path: Path, frames: np.ndarray, num_features: int) -> dict[str, Any]:
    """Milliseconds per frame at batch 1 on one thread, stepping through real frames."""
    model = StreamingMotionModel(path, threads=1)
    frames = itertools.cycle(np.asarray(frames, dtype=np.float32).reshape(-1, num_features))
    timing = time_calls(lambda: model.step(next(frames)), LATENCY_FRAMES)
    return {"frames": LATENCY_FRAMES, "threads": 1, "batch": 1, **timing}


def windowed_latency(path: Path, window: np.ndarray) -> dict[str, float]:
    """Milliseconds of the windowed model on one window (batch 1, one thread): the cost of re-running
    a whole window for every new frame, to compare with a streaming step."""
    model = OnnxMotionModel(path, threads=1)
    return time_calls(functools.partial(model.predict, window[None]), LATENCY_FRAMES)
