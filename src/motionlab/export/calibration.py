"""Per-person calibration as inputs of the exported model (`ClassifyTask`'s ``standardize_per_group``).

Such a model standardises its window features by one person's mean and spread before its head. The
exporter writes them as initializers (the task's buffers); here each becomes a required graph input
of the same name instead. (An initializer that is also a graph input is an optional input to Python's
ONNX Runtime, but onnxruntime-node 1.30 neither listed it nor honoured a feed for it: the feed was
ignored without an error.) An app feeds a user's ``calibration_mean`` / ``calibration_std``, the mean
and standard deviation of the model's ``window_features`` output over that user's windows
(`OnnxMotionModel.calibrate`), or 0 and 1 for the training population's standardisation
(`neutral_calibration`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper

from motionlab.export.errors import ExportError, ExportVerificationError
from motionlab.export.graph import ExportGraph
from motionlab.inference.onnx_model import OnnxMotionModel

#: the prefix the exporter gives the buffers of `ExportGraph.task`
TASK_PREFIX = "task."


def expose_calibration_inputs(model: onnx.ModelProto, names: Sequence[str]) -> None:
    """Replace the initializers of the task's buffers ``names`` by graph inputs of those names (same
    type and shape), in place."""
    initializers = {init.name: init for init in model.graph.initializer}
    for name in names:
        exported = initializers.get(TASK_PREFIX + name)
        if exported is None:
            raise ExportError(
                f"the exported graph has no initializer {TASK_PREFIX + name!r} for the calibration input "
                f"{name!r}: the exporter folded or renamed the task's buffer"
            )
        model.graph.initializer.remove(exported)
        for node in model.graph.node:
            node.input[:] = [name if value == TASK_PREFIX + name else value for value in node.input]
        model.graph.input.append(helper.make_tensor_value_info(name, exported.data_type, list(exported.dims)))
    onnx.checker.check_model(model)


def verify_calibration_inputs(
    path: Path, graph: ExportGraph, windows: np.ndarray, names: Sequence[str], tolerance: float
) -> dict[str, float]:
    """Feed the calibration of ``windows`` (taken as one person's: `OnnxMotionModel.calibrate`, the
    mean and spread of the model's own ``window_features`` over them) to the ONNX file (which must
    carry its metadata) and to PyTorch's task (as its buffers), and compare every output: the inputs
    must do what the buffers do. Returns each output's largest absolute difference; fails the export
    beyond ``tolerance × max(1, |reference|)``."""
    model = OnnxMotionModel(path, threads=1)
    calibration = model.calibrate(windows)
    onnx_outputs = model.predict(windows, calibration)
    task = graph.task
    saved = [getattr(task, name).clone() for name in names]
    try:
        for name in names:
            getattr(task, name).copy_(torch.from_numpy(calibration[name]))
        with torch.no_grad():
            outputs = graph(torch.from_numpy(windows))
        reference = {name: value.numpy() for name, value in zip(graph.output_names, outputs, strict=True)}
    finally:
        for name, value in zip(names, saved, strict=True):
            getattr(task, name).copy_(value)
    differences = {}
    for name, expected in reference.items():
        difference = np.abs(onnx_outputs[name] - expected)
        if (difference > tolerance * np.maximum(1.0, np.abs(expected))).any():
            raise ExportVerificationError(
                f"{path}: with a person's calibration fed as inputs, ONNX output {name!r} differs from "
                f"PyTorch's by up to {difference.max():.3g} (tolerance {tolerance})"
            )
        differences[name] = float(difference.max())
    return differences
