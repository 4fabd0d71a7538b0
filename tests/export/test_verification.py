"""Broken exports are refused: a fixed time axis, wrong numbers, a fallen-back opset, a fixed batch."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from motionlab.export.errors import ExportError, ExportVerificationError
from motionlab.export.graph import build_export_graph
from motionlab.export.onnx_export import check_exported, export_onnx
from motionlab.export.pipeline import LengthPlan, load_test_split, plan_lengths, write_verified
from motionlab.export.verify import verification_cases
from tests.export.conftest import ExportedRun


@pytest.fixture
def lengths(exported_run: ExportedRun) -> LengthPlan:
    return plan_lengths(exported_run.graph(), [0.5, 2.1], dynamic_time=True)


@pytest.fixture
def cases(exported_run: ExportedRun, lengths: LengthPlan):
    split = load_test_split(exported_run.config, 16)
    return verification_cases(split.frames, split.windows, lengths.verified[1:], 3)


def refuses(exported_run: ExportedRun, model: onnx.ModelProto, cases, tmp_path, match: str) -> str:
    """Assert that writing ``model`` fails verification and leaves the destination untouched."""
    destination = tmp_path / "model.onnx"
    destination.write_bytes(b"the previous export")
    with pytest.raises(ExportVerificationError, match=match) as caught:
        write_verified(model, destination, exported_run.graph(), cases, tolerance=1e-4)
    assert destination.read_bytes() == b"the previous export"
    assert list(tmp_path.iterdir()) == [destination]  # no temporary file left
    return str(caught.value)


def test_the_real_export_passes(exported_run: ExportedRun, cases, tmp_path):
    report = write_verified(
        onnx.load(str(exported_run.model_path)), tmp_path / "m.onnx", exported_run.graph(), cases, 1e-4
    )
    assert report.passed and report.max_abs_diff < 1e-4 and (tmp_path / "m.onnx").is_file()


def test_a_time_axis_fixed_to_the_window_is_caught(exported_run: ExportedRun, lengths, cases, tmp_path):
    if not lengths.dynamic_time:
        pytest.skip("the task's model runs only at its own window length")
    model = onnx.load(str(exported_run.model_path))
    window = exported_run.graph().window
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_value = window  # replaces dim_param "time"
    message = refuses(exported_run, model, cases, tmp_path, "ONNX Runtime rejected the input")
    assert all(f"{n} frames" in message for n in lengths.verified[1:])
    assert f"test window of {window} frames" not in message  # the window length itself still runs


def test_wrong_numbers_are_caught(exported_run: ExportedRun, cases, tmp_path):
    model = onnx.load(str(exported_run.model_path))
    task = exported_run.graph().task
    mean = task.normalizer.mean.numpy()
    (stats,) = [
        t
        for t in model.graph.initializer
        if t.dims == [len(mean)] and np.allclose(numpy_helper.to_array(t), mean)
    ]
    shifted = numpy_helper.to_array(stats) + 0.5 * task.normalizer.std.numpy()
    stats.CopyFrom(numpy_helper.from_array(shifted.astype(np.float32), stats.name))
    refuses(exported_run, model, cases, tmp_path, r"max \|ONNX − PyTorch\|")


def test_an_opset_fallback_or_a_fixed_batch_axis_is_refused(exported_run: ExportedRun):
    model = onnx.load(str(exported_run.model_path))
    with pytest.raises(ExportError, match="requested opset 20 but the exporter produced opset 18"):
        check_exported(model, opset=20, dynamic_time=True)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 2
    with pytest.raises(ExportError, match="batch axis is fixed to 2"):
        check_exported(model, opset=18, dynamic_time=True)


def test_an_example_batch_of_one_is_refused():
    with pytest.raises(ValueError, match="batch of 1"):
        export_onnx(build_export_graph, np.zeros((1, 30, 4), np.float32), opset=18)
