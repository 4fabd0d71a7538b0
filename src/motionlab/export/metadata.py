"""What an app needs to know, stored inside the ONNX file (``metadata_props``).

Every value is JSON text under a plain key (``feature_names``, ``window``, ``outputs``, ...), so any
runtime that exposes custom metadata can read it; `motionlab.inference.OnnxMotionModel` parses it.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import onnx
import torch

import motionlab
from motionlab.ensemble.module import EnsembleMixin
from motionlab.export.graph import INPUT_NAME, ExportGraph
from motionlab.export.onnx_export import BATCH_AXIS, TIME_AXIS
from motionlab.runs.sources import ModelSource
from motionlab.tasks.base import MotionTask


def output_axes(graph: ExportGraph) -> dict[str, list[str | int]]:
    """Each output's axes — ``"batch"``, ``"time"`` or a fixed size — found by running PyTorch at two
    batch sizes and lengths (so they are right even when the exported time axis is fixed)."""
    small = graph.outputs(torch.zeros(2, graph.window, graph.num_features))
    large = graph.outputs(torch.zeros(3, graph.window + 5, graph.num_features))
    axes = {}
    for name in graph.output_names:
        axes[name] = [
            BATCH_AXIS if (a, b) == (2, 3) else TIME_AXIS if b == a + 5 else a
            for a, b in zip(small[name].shape, large[name].shape, strict=True)
        ]
    return axes


def build_metadata(
    graph: ExportGraph, source: ModelSource, opset: int, verified_lengths: list[int]
) -> dict[str, Any]:
    """``verified_lengths``: the window lengths the verification runs (one: a fixed time axis)."""
    task = graph.task
    descriptions = task.output_descriptions()
    axes = output_axes(graph)
    dynamic_time = len(verified_lengths) > 1
    return {
        **task.export_metadata(),
        "input": {
            "name": INPUT_NAME,
            "shape": [BATCH_AXIS, TIME_AXIS if dynamic_time else graph.window, graph.num_features],
            "dtype": "float32",
            "meaning": "raw features in feature_names order, as recorded (no normalisation needed)",
            "verified_lengths": verified_lengths,
        },
        "outputs": {
            name: {"shape": axes[name], "description": descriptions.get(name, "")}
            for name in graph.output_names
        },
        "output_mode": graph.mode,
        "normalization": normalization_metadata(task),
        "dynamic_axes": [BATCH_AXIS, TIME_AXIS] if dynamic_time else [BATCH_AXIS],
        "opset": opset,
        "monitor": source.monitor,
        "test_metrics": source.test_metrics,
        "source": source.describe(),
        "motionlab_version": motionlab.__version__,
        "git_commit": git_commit(),
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def normalization_metadata(task: MotionTask) -> dict[str, Any]:
    """The input normalisation inside the graph; an ensemble's members each have their own."""
    members = list(task.members) if isinstance(task, EnsembleMixin) else [task]
    stats = [{"mean": m.normalizer.mean.tolist(), "std": m.normalizer.std.tolist()} for m in members]
    entry = {"in_graph": True, "formula": "(features - mean) / std, training-split statistics"}
    return {**entry, **stats[0]} if len(stats) == 1 else {**entry, "per_member": stats}


def set_metadata(model: onnx.ModelProto, metadata: dict[str, Any]) -> None:
    """Replace the model's ``metadata_props`` with ``metadata`` (values as JSON) and name the producer."""
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, {key: json.dumps(value) for key, value in metadata.items()})
    model.producer_name = "motionlab"
    model.producer_version = motionlab.__version__
    model.doc_string = f"motionlab {metadata.get('task', '')}: {', '.join(metadata.get('outputs', {}))}"


def git_commit() -> str | None:
    """The motionlab checkout's commit (``+dirty`` with uncommitted changes); None outside git."""
    root = Path(motionlab.__file__).resolve().parents[2]
    try:
        commit = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=10
    ).stdout.strip()
