"""PyTorch → ONNX with the dynamo exporter: dynamic batch (and time) axes, one self-contained file.

Facts that shape this module (torch 2.13, onnx 1.23, onnxruntime 1.31):

* an example batch of 1 silently fixes the batch axis, so the example batch must be at least 2;
* ``external_data=True`` (the default) splits even small models into ``.onnx`` + ``.onnx.data``;
* a requested opset the exporter cannot reach falls back silently, so the result's opset is checked;
* recurrent layers need `recurrent_export_patches` for a dynamic time axis, and an earlier export in
  the same process can stop the patches from working: measured, an unpatched LSTM→attention export
  followed by a patched one, and patched → unpatched → patched for a 2-layer BiLSTM, both gave the
  last export a fixed time axis. Each export therefore runs in a fresh process by default.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from motionlab.export.errors import ExportError
from motionlab.export.graph import INPUT_NAME
from motionlab.export.recurrent_patch import recurrent_export_patches

FRESH_PROCESS_MODULE = "motionlab.export.fresh_process"
BATCH_AXIS = "batch"
TIME_AXIS = "time"


@dataclass(frozen=True)
class ExportedGraph:
    """The serialised ONNX model and how it was made."""

    model_bytes: bytes
    output_names: list[str]
    patches: list[str]

    @property
    def model(self) -> onnx.ModelProto:
        return onnx.load_from_string(self.model_bytes)


def export_onnx(
    build: Callable[[], nn.Module],
    example: np.ndarray,
    opset: int,
    dynamic_time: bool = True,
    fresh_process: bool = True,
) -> ExportedGraph:
    """Export the module that ``build()`` returns (it must have ``output_names``) on ``example``.

    ``build`` must be picklable (a module-level function or a ``functools.partial`` of one) when
    ``fresh_process`` is true. The result's opset and input axes are checked before it is returned.
    """
    if example.ndim != 3 or example.shape[0] < 2:
        raise ValueError(
            f"the example must be [batch >= 2, time, features], got {example.shape}: "
            "a batch of 1 makes the exporter fix the batch axis"
        )
    arguments = (build, example, opset, dynamic_time)
    exported = _export_in_fresh_process(*arguments) if fresh_process else export_in_this_process(*arguments)
    check_exported(exported.model, opset, dynamic_time)
    return exported


def _export_in_fresh_process(*arguments: object) -> ExportedGraph:
    """`export_in_this_process` in a new interpreter (`motionlab.export.fresh_process`) with this
    one's import path; unlike multiprocessing's spawn it never re-imports the caller's ``__main__``."""
    with tempfile.TemporaryDirectory(prefix="motionlab-export-") as scratch:
        request, result = Path(scratch) / "request.pkl", Path(scratch) / "result.pkl"
        request.write_bytes(pickle.dumps(arguments))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        done = subprocess.run(
            [sys.executable, "-m", FRESH_PROCESS_MODULE, str(request), str(result)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise ExportError(
                f"the export process failed (exit code {done.returncode}):\n{done.stderr[-4000:]}"
            )
        return pickle.loads(result.read_bytes())


def export_in_this_process(
    build: Callable[[], nn.Module], example: np.ndarray, opset: int, dynamic_time: bool
) -> ExportedGraph:
    module = build().eval()
    axes = {0: torch.export.Dim(BATCH_AXIS)}
    if dynamic_time:
        axes[1] = torch.export.Dim(TIME_AXIS)
    with recurrent_export_patches() as patches, torch.no_grad():
        program = torch.onnx.export(
            module,
            (torch.from_numpy(np.ascontiguousarray(example, dtype=np.float32)),),
            dynamo=True,
            external_data=False,
            opset_version=opset,
            input_names=[INPUT_NAME],
            output_names=list(module.output_names),
            dynamic_shapes=(axes,),
            verbose=False,
        )
    return ExportedGraph(program.model_proto.SerializeToString(), list(module.output_names), patches)


def check_exported(model: onnx.ModelProto, opset: int, dynamic_time: bool) -> None:
    """Fail when the exporter fell back to another opset or fixed an axis that must be dynamic."""
    onnx.checker.check_model(model)
    reached = {entry.domain: entry.version for entry in model.opset_import}.get("")
    if reached != opset:
        raise ExportError(
            f"requested opset {opset} but the exporter produced opset {reached}: "
            f"set export.opset={reached} or upgrade torch/onnxscript"
        )
    dims = model.graph.input[0].type.tensor_type.shape.dim
    wanted = {0: BATCH_AXIS, 1: TIME_AXIS} if dynamic_time else {0: BATCH_AXIS}
    for axis, name in wanted.items():
        if not dims[axis].dim_param:
            raise ExportError(
                f"the exported input's {name} axis is fixed to {dims[axis].dim_value}; "
                f"it must be dynamic (export with a batch of at least 2 and a dynamic {name} dimension)"
            )
