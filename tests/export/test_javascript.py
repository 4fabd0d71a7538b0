"""The exported model runs in Node.js (onnxruntime-node) and matches PyTorch."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from motionlab.export.case import main as write_case_command
from motionlab.export.pipeline import load_test_split
from tests.export.conftest import ExportedRun, run_node_example

# node_example: the Node example's dependencies are installed (a local run skips without them, CI fails)
pytestmark = pytest.mark.usefixtures("node_example")


def test_node_example_matches_pytorch(exported_run: ExportedRun, tmp_path):
    graph = exported_run.graph()
    window = graph.window
    frames = load_test_split(exported_run.config, 1).frames
    length = 2 * window + 1
    x = np.stack([frames[i * length : (i + 1) * length] for i in range(3)]).astype(np.float32)
    expected = graph.outputs(torch.from_numpy(x))
    case = {
        "input": {"shape": list(x.shape), "data": x.ravel().tolist()},
        "expected": {
            n: {"shape": list(v.shape), "data": v.numpy().ravel().tolist()} for n, v in expected.items()
        },
        "tolerance": 1e-4,
    }
    case_path = tmp_path / "case.json"
    case_path.write_text(json.dumps(case))
    lines = run_node_example(exported_run.model_path, case_path)
    assert [line["output"] for line in lines] == list(expected)
    for line in lines:
        assert line["shape"] == list(expected[line["output"]].shape)


def test_node_example_runs_the_case_that_the_case_command_writes(exported_run: ExportedRun, tmp_path):
    """``python -m motionlab.export.case`` → case.json → the Node example matches Python ONNX Runtime."""
    case_path = tmp_path / "case.json"
    write_case_command([str(exported_run.run_dir), "--out", str(case_path), "--windows", "3"])
    lines = run_node_example(exported_run.model_path, case_path)
    assert [line["output"] for line in lines] == list(exported_run.card["metadata"]["outputs"])
