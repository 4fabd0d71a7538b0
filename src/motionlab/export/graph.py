"""What goes into the ONNX graph: a task's raw or app-facing outputs as a fixed, named tuple.

Every task follows the export contract of `motionlab.tasks.base.MotionTask` (`forward` → raw
outputs, `predict_outputs` → app outputs, both dicts by name), so this wrapper works for any task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor, nn

from motionlab.errors import ConfigError
from motionlab.tasks.base import MotionTask

OutputMode = Literal["app", "raw"]
OUTPUT_MODES = ("app", "raw")
INPUT_NAME = "features"


class ExportGraph(nn.Module):
    """``[B, T, F]`` raw features → the task's outputs as a tuple in `output_names` order.

    ``mode="app"`` exports `predict_outputs` (probabilities, values in original units);
    ``mode="raw"`` exports `forward` (logits, normalised values). Normalisation is the task's first
    layer either way, so the graph always takes raw features.
    """

    def __init__(self, task: MotionTask, mode: OutputMode = "app") -> None:
        super().__init__()
        if mode not in OUTPUT_MODES:
            raise ConfigError("export.outputs", f"unknown output mode {mode!r}", "use 'app' or 'raw'")
        self.task = task.eval()
        self.mode = mode
        #: frames per input window, as the task tells the app (``export_metadata()["window"]``).
        self.window = int(task.export_metadata()["window"])
        self.num_features = task.spec.num_features
        self.output_names = list(self.outputs(torch.zeros(2, self.window, self.num_features)))

    def outputs(self, x: Tensor) -> dict[str, Tensor]:
        with torch.no_grad():
            return self.task.predict_outputs(x) if self.mode == "app" else self.task(x)

    def rejects_length(self, length: int) -> str | None:
        """Why PyTorch itself cannot run ``length``-frame windows (None when it can): such lengths are
        not the export's to support, e.g. a forecaster that needs its full input window."""
        try:
            self.outputs(torch.zeros(2, length, self.num_features))
        except Exception as error:  # whatever the task's layers raise on a length they cannot take
            return f"{type(error).__name__}: {error}"
        return None

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        outputs = self.task.predict_outputs(x) if self.mode == "app" else self.task(x)
        return tuple(outputs[name] for name in self.output_names)


def build_export_graph(build_task: Callable[[], MotionTask], mode: OutputMode) -> ExportGraph:
    """Module-level builder, so a fresh export process can rebuild the graph from a picklable task
    loader (`ExportSource.task_builder`)."""
    return ExportGraph(build_task(), mode).eval()
