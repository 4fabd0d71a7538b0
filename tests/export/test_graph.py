"""`ExportGraph`: the app outputs by default, the raw ones on request, in a fixed order."""

from __future__ import annotations

import pytest
import torch

from motionlab.errors import ConfigError
from motionlab.export.graph import ExportGraph
from tests.export.conftest import ExportedRun


@pytest.mark.parametrize("mode", ["app", "raw"])
def test_graph_outputs_are_the_tasks_outputs_in_order(exported_run: ExportedRun, mode):
    task = exported_run.graph().task
    graph = ExportGraph(task, mode)
    x = torch.randn(3, graph.window, graph.num_features) * task.normalizer.std + task.normalizer.mean
    with torch.no_grad():
        expected = task.predict_outputs(x) if mode == "app" else task(x)
        actual = graph(x)
    assert graph.output_names == list(expected)
    for name, value in zip(graph.output_names, actual, strict=True):
        torch.testing.assert_close(value, expected[name])
    descriptions = task.output_descriptions()
    assert all(descriptions.get(name) for name in graph.output_names), "every output needs a description"


def test_an_unknown_output_mode_is_a_config_error(exported_run: ExportedRun):
    with pytest.raises(ConfigError, match=r"export\.outputs"):
        ExportGraph(exported_run.graph().task, "logits")
