"""The exported model runs in headless Chromium with onnxruntime-web (examples/web) and matches
Python ONNX Runtime on a recorded session, window by window; ``python -m motionlab.export.case``
writes that session. One browser serves every task."""

from __future__ import annotations

import json
import shutil

import numpy as np

from motionlab.export.case import main as write_case_command
from motionlab.inference.onnx_model import OnnxMotionModel
from motionlab.inference.sliding import sliding_windows
from tests.export.conftest import Chromium, ExportedRun


def test_the_web_example_matches_python_onnx_runtime_window_by_window(
    exported_run: ExportedRun, chromium: Chromium, tmp_path
):
    case_path = tmp_path / "case.json"
    write_case_command([str(exported_run.run_dir), "--out", str(case_path), "--windows", "5"])
    case = json.loads(case_path.read_text())
    model = OnnxMotionModel(exported_run.model_path, threads=1)
    # the case's session: the first test frames, 5 windows half a window apart
    session = case["session"]
    frames = np.asarray(session["frames"]["data"], np.float32).reshape(session["frames"]["shape"])
    starts, windows = sliding_windows(frames, model.window, session["stride"])
    assert session["window_starts"] == starts.tolist() and len(starts) == 5

    shutil.copy(exported_run.model_path, tmp_path / "model.onnx")
    shutil.copy(exported_run.export_dir / "model_card.json", tmp_path)
    result = chromium.run(str(case_path))
    assert result["errors"] == [] and result["ok"], result.get("errors")
    assert len(result["latencies"]) == 5 and all(ms >= 0 for ms in result["latencies"])
    python = model.predict(windows)  # Python ONNX Runtime, all windows as one batch
    assert set(result["outputs"]) == set(python)
    for name, want in python.items():
        got = np.asarray(result["outputs"][name]).reshape(want.shape)
        assert np.all(np.abs(got - want) <= 1e-4 * np.maximum(1, np.abs(want))), name
