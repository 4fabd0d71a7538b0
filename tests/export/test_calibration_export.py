"""A per-person model (``task.standardize_per_group``) through the real export pipeline: the ONNX file
takes a person's calibration as optional inputs, the export verifies them against PyTorch, and Python
ONNX Runtime, Node.js and the browser give that person's probabilities when fed it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from hydra.utils import instantiate

from motionlab.export.case import main as write_case_command
from motionlab.export.graph import INPUT_NAME
from motionlab.export.pipeline import export_model
from motionlab.inference.onnx_model import OnnxMotionModel
from motionlab.inference.sliding import sliding_windows
from motionlab.runs.sources import load_task, resolve_source
from motionlab.sweep.compose import compose_config as compose_named
from motionlab.tasks.common.group_standardization import MIN_STD, standardized_by_group
from motionlab.training.run import train
from tests.export.conftest import Chromium, run_node_example
from tests.helpers import CONFIG_DIR, POSE_TINY, compose_config


@pytest.fixture(scope="module")
def exported(tmp_path_factory, sample_cache) -> tuple[Path, object, dict]:
    """A tiny per-person rocket run on the pose sample (people held out), exported: (run dir, the
    export's result, the run's config)."""
    log_dir = tmp_path_factory.mktemp("calibrated") / "outputs"
    overrides = [o for o in POSE_TINY if not o.startswith(("model.", "model=", "task.hidden"))]
    overrides += ["model=rocket", "model.num_features=336", "logger=none", "task.hidden=[]"]
    overrides += ["task.head_fit=ridge", "task.train_after_fit=false", "task.standardize_per_group=true"]
    cfg = compose_config(overrides, log_dir, sample_cache, run="trained")
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    export_cfg = compose_named(
        CONFIG_DIR,
        "export",
        [f"run={run_dir}", f"paths.log_dir={log_dir}", "benchmark.enabled=false", "quantize.enabled=false"],
    )
    result = export_model(resolve_source(export_cfg.run, None, log_dir, log_dir / "sweeps"), export_cfg)
    return run_dir, result, cfg


def test_the_export_takes_a_person_s_calibration_and_verifies_it(exported):
    run_dir, result, cfg = exported
    model = onnx.load(result.model_path)
    assert [i.name for i in model.graph.input] == [INPUT_NAME, "calibration_mean", "calibration_std"]
    # required inputs, not overridable initializers (which onnxruntime-node and -web ignore)
    assert not {"calibration_mean", "calibration_std"} & {init.name for init in model.graph.initializer}
    card = result.card
    calibration = card["metadata"]["calibration"]
    assert calibration["inputs"] == ["calibration_mean", "calibration_std"]
    assert calibration["from_output"] == "window_features" and calibration["min_std"] == MIN_STD
    assert set(card["calibration_verification"]) == {"class_probs", "window_features"}
    assert max(card["calibration_verification"].values()) < 1e-4
    assert (
        "Per-person calibration inputs `calibration_mean` and `calibration_std`"
        in result.card_paths[1].read_text()
    )

    # each test person: calibrated from their own windows, the app gives what the run evaluated
    summary = json.loads((run_dir / "summary.json").read_text())
    task = load_task(summary["best_checkpoint"], cfg.task._target_).eval()
    datamodule = instantiate(cfg.data, _convert_="all")
    datamodule.setup("fit")
    windows = datamodule.windows["test"]
    x = windows.gather(torch.arange(len(windows)))["x"]
    people = np.array(datamodule.recording_groups(windows.recordings))[windows.recording_index.numpy()]
    with torch.no_grad():
        codes = torch.from_numpy(np.unique(people, return_inverse=True)[1].reshape(-1))
        expected = task.head(standardized_by_group(task.pooled_features(x), codes)).softmax(-1).numpy()
    app = OnnxMotionModel(result.model_path, threads=1)
    for person in np.unique(people):
        mine = people == person
        calibration = app.calibrate(x[mine].numpy(), batch_size=5)
        got = app.predict(x[mine].numpy(), calibration)["class_probs"]
        np.testing.assert_allclose(got, expected[mine], atol=1e-4)
    # no calibration given: 0 and 1, the training population's standardisation (the checkpoint's buffers)
    with torch.no_grad():
        uncalibrated = task.predict_outputs(x)["class_probs"].numpy()
    np.testing.assert_allclose(app.predict(x.numpy())["class_probs"], uncalibrated, atol=1e-4)
    assert not np.allclose(uncalibrated, expected, atol=1e-3)


def test_node_and_the_browser_feed_the_case_s_calibration(
    exported, chromium: Chromium, node_example, tmp_path
):
    """``python -m motionlab.export.case`` writes the session's calibration; the Node example and the
    page in headless Chromium feed it and match Python ONNX Runtime fed the same."""
    run_dir, result, _ = exported
    case_path = tmp_path / "case.json"
    write_case_command([str(run_dir), "--out", str(case_path), "--windows", "5"])
    case = json.loads(case_path.read_text())
    assert set(case["calibration"]) == {"calibration_mean", "calibration_std"}
    app = OnnxMotionModel(result.model_path, threads=1)
    frames = np.asarray(case["session"]["frames"]["data"], np.float32).reshape(
        case["session"]["frames"]["shape"]
    )
    _, windows = sliding_windows(frames, app.window, case["session"]["stride"])
    calibration = app.calibrate(windows)
    for name, value in calibration.items():
        np.testing.assert_allclose(np.asarray(case["calibration"][name]["data"]), value, rtol=1e-6, atol=1e-7)
    python = app.predict(windows, calibration)
    assert not np.allclose(python["class_probs"], app.predict(windows)["class_probs"], atol=1e-4)

    lines = run_node_example(result.model_path, case_path)
    assert {line["output"] for line in lines} == set(python)

    shutil.copy(result.model_path, tmp_path / "model.onnx")
    shutil.copy(result.model_path.with_name("model_card.json"), tmp_path)
    browser = chromium.run(str(case_path))
    assert browser["errors"] == [] and browser["ok"], browser.get("errors")
    for name, want in python.items():
        got = np.asarray(browser["outputs"][name]).reshape(want.shape)
        assert np.all(np.abs(got - want) <= 1e-4 * np.maximum(1, np.abs(want))), name
