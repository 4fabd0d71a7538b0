"""Loggers available to ``configs/logger``: Lightning's, re-exported under one stable name, and a
TensorBoard logger that draws any motionlab task's graph and records the run for the HParams tab of a
logdir shared by every task (`motionlab.training.hparams_experiment`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.core.module import _jit_is_scripting
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers import TensorBoardLogger as LightningTensorBoardLogger
from lightning.pytorch.utilities.rank_zero import rank_zero_only
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from torch import Tensor, nn
from torch.utils.tensorboard._pytorch_graph import graph as trace_graph  # what add_graph draws
from torch.utils.tensorboard.summary import hparams

from motionlab.export.graph import ExportGraph
from motionlab.tasks.base import MotionTask
from motionlab.training.hparams_experiment import update_logdir_experiment

__all__ = ["CSVLogger", "TensorBoardLogger"]

log = logging.getLogger(__name__)


def named_outputs(graph_def: GraphDef, step_stats: RunMetadata, names: Sequence[str]) -> tuple:
    """The traced graph with one output node per task output, named by it (``exercise_logits``, drawn
    at the top level beside ``input`` and the model): the tracer draws a tuple of outputs as one
    ``output/output.1`` node, inside a collapsed ``output`` box, fed by a TupleConstruct. A graph whose
    outputs do not match ``names`` is returned as it is."""
    nodes = {node.name: node for node in graph_def.node}
    sinks = [node for node in graph_def.node if node.name.startswith("output/output.")]
    removed = {node.name for node in sinks}
    elements = [sink.input[0] for sink in sinks]
    if len(sinks) == 1 and nodes[elements[0]].op == "prim::TupleConstruct":
        removed.add(elements[0])
        elements = list(nodes[elements[0]].input)
    if len(elements) != len(names):
        return graph_def, step_stats
    kept = [node for node in graph_def.node if node.name not in removed]
    del graph_def.node[:]
    graph_def.node.extend(kept)
    for name, element in zip(names, elements, strict=True):
        sink = graph_def.node.add(name=name, op=sinks[0].op, input=[element])
        if "_output_shapes" in nodes[element].attr:
            sink.attr["_output_shapes"].CopyFrom(nodes[element].attr["_output_shapes"])
    return graph_def, step_stats


class TensorBoardLogger(LightningTensorBoardLogger):
    """Lightning's TensorBoard logger; with ``log_graph=True`` the Graphs tab shows the task's model.

    Lightning traces ``example_input_array`` through the datamodule's batch hooks, which take batch
    dicts, not a tensor; this logger traces the task's raw outputs (`ExportGraph` in ``raw`` mode, as
    a tuple) on a zero window of the task's input shape instead, in eval mode without gradients. A
    model the tracer cannot follow is logged without its graph, with the reason as a warning, rather
    than failing the run.
    """

    def __init__(self, *args: Any, hparams_logdir: str | None = None, **kwargs: Any) -> None:
        """``hparams_logdir``: the logdir TensorBoard is opened on (``outputs/``), which holds the
        HParams columns of all its runs; a run outside it (or with None) declares its own."""
        super().__init__(*args, **kwargs)
        self._graph_logged = False
        self.hparams_logdir = None if hparams_logdir is None else Path(hparams_logdir)

    @rank_zero_only
    def save(self) -> None:
        """Flush the event files, without Lightning's ``hparams.yaml`` beside them: they are in the
        run directory, which has the whole config in ``config.yaml``."""
        self.experiment.flush()

    @rank_zero_only
    def log_session(self, params: dict[str, Any], metrics: list[str]) -> None:
        """This run's row of the HParams tab: ``params`` against the last values of its ``metrics``
        scalars. The columns go to the shared logdir's experiment record; no ``hp/`` copies of the
        metrics are written (they are scalars of the run already)."""
        experiment, start, end = hparams(params, dict.fromkeys(metrics, 0.0))
        writer = self.experiment._get_file_writer()
        run_dir = Path(self.log_dir).resolve()
        logdir = self.hparams_logdir.resolve() if self.hparams_logdir is not None else None
        if logdir is not None and logdir != run_dir and logdir in run_dir.parents:
            update_logdir_experiment(logdir, params, metrics)
        else:
            writer.add_summary(experiment)
        writer.add_summary(start)
        writer.add_summary(end)

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
                self.experiment._get_file_writer().add_graph(
                    named_outputs(*trace_graph(graph, example), graph.output_names)
                )
        except Exception as error:  # whatever the tracer raises on a layer it cannot follow
            log.warning(
                "no model graph in TensorBoard: tracing %s failed (%s: %s)",
                type(model.encoder).__name__,
                type(error).__name__,
                error,
            )
        finally:
            model.train(was_training)
