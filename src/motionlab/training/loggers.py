"""Loggers available to ``configs/logger``: Lightning's, re-exported under one stable name, and a
TensorBoard logger that draws any motionlab task's graph."""

from __future__ import annotations

import logging
from typing import Any

import torch
from lightning.pytorch.core.module import _jit_is_scripting
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers import TensorBoardLogger as LightningTensorBoardLogger
from lightning.pytorch.utilities.rank_zero import rank_zero_only
from torch import Tensor, nn

from motionlab.export.graph import ExportGraph
from motionlab.tasks.base import MotionTask

__all__ = ["CSVLogger", "TensorBoardLogger"]

log = logging.getLogger(__name__)


class TensorBoardLogger(LightningTensorBoardLogger):
    """Lightning's TensorBoard logger; with ``log_graph=True`` the Graphs tab shows the task's model.

    Lightning traces ``example_input_array`` through the datamodule's batch hooks, which take batch
    dicts, not a tensor; this logger traces the task's raw outputs (`ExportGraph` in ``raw`` mode, as
    a tuple) on a zero window of the task's input shape instead, in eval mode without gradients. A
    model the tracer cannot follow is logged without its graph, with the reason as a warning, rather
    than failing the run.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._graph_logged = False

    @rank_zero_only
    def log_graph(self, model: nn.Module, input_array: Tensor | None = None) -> None:
        """Trace ``model`` once per run (Lightning asks again for each later stage, e.g. testing)."""
        if not self._log_graph or self._graph_logged:
            return
        self._graph_logged = True
        if not isinstance(model, MotionTask):
            super().log_graph(model, input_array)
            return
        was_training = model.training
        try:
            graph = ExportGraph(model, mode="raw")
            example = torch.zeros(2, graph.window, graph.num_features, device=model.device)
            # without gradients, as in inference, the tracer's check run takes the same layer paths;
            # _jit_is_scripting: Lightning's own guard against tracing a module outside its trainer
            with torch.no_grad(), _jit_is_scripting():
                self.experiment.add_graph(graph, example)
        except Exception as error:  # whatever the tracer raises on a layer it cannot follow
            log.warning(
                "no model graph in TensorBoard: tracing %s failed (%s: %s)",
                type(model.encoder).__name__,
                type(error).__name__,
                error,
            )
        finally:
            model.train(was_training)
