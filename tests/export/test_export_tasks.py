"""Every task, from a tiny trained run, through ``make export``: files, verification, metadata, int8,
latency, and the torch-free inference reference."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch
from omegaconf import OmegaConf

from motionlab.export.pipeline import load_test_split, quantize_checked
from motionlab.export.registry import read_registry
from motionlab.files import file_sha256
from motionlab.inference.onnx_model import OnnxMotionModel
from motionlab.inference.sliding import overlap_average, sliding_windows
from tests.export.conftest import ExportedRun


def test_make_export_writes_the_latest_completed_runs_best_checkpoint(exported_run: ExportedRun):
    summary = json.loads((exported_run.run_dir / "summary.json").read_text())
    source = exported_run.card["metadata"]["source"]
    assert source == {"run_dir": str(exported_run.run_dir), "checkpoint": summary["best_checkpoint"]}
    assert f"wrote {exported_run.model_path}" in exported_run.make_output
    names = sorted(p.name for p in exported_run.export_dir.iterdir())
    # one self-contained file (no .onnx.data), no temporary files left behind
    assert names == ["model.int8.onnx", "model.onnx", "model_card.json", "model_card.md"]


def test_every_result_file_is_as_readable_as_the_model(exported_run: ExportedRun):
    """summary.json, label_encoder.json, the cards... get the umask's usual mode (0644 under 022), not
    the private 0600 of a temporary file."""
    umask = os.umask(0)
    os.umask(umask)
    results = [*exported_run.export_dir.iterdir(), *exported_run.run_dir.glob("*.json")]
    assert {"summary.json", "model_card.json"} <= {path.name for path in results}
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in results}
    assert modes == dict.fromkeys(modes, 0o666 & ~umask)


def test_make_export_records_the_model_in_the_registry(exported_run: ExportedRun):
    registry = exported_run.run_dir.parents[1] / "model_registry.json"
    [entry] = read_registry(registry)
    assert (entry["name"], entry["version"]) == (exported_run.config.name, 1)
    assert (
        entry["onnx"]["sha256"]
        == file_sha256(exported_run.model_path)
        == exported_run.card["files"]["model"]["sha256"]
    )
    assert entry["int8"]["sha256"] == file_sha256(exported_run.export_dir / "model.int8.onnx")
    assert OnnxMotionModel(exported_run.model_path).metadata["model_version"] == 1
    assert f"model {entry['name']} version 1 in {registry}" in exported_run.make_output


def test_every_task_exports_with_dynamic_batch_and_time(exported_run: ExportedRun):
    """Batch always dynamic; time dynamic at every verified length PyTorch itself can run."""
    graph = exported_run.graph()
    window, features = graph.window, graph.num_features
    model = onnx.load(str(exported_run.model_path))
    verified = exported_run.card["metadata"]["input"]["verified_lengths"]
    rejected = {int(n) for n in exported_run.card["lengths_pytorch_rejects"]}
    assert verified[0] == window and set(verified[1:]) | rejected == {
        max(1, round(0.5 * window)),
        round(2.1 * window),
    } - {window}
    assert all(graph.rejects_length(n) for n in rejected)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    time_axis = "time" if len(verified) > 1 else window
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", time_axis, features]
    assert {entry.domain: entry.version for entry in model.opset_import}[""] == 18
    assert [output.name for output in model.graph.output] == list(
        graph.task.predict_outputs(torch.zeros(2, window, features))
    )
    report = exported_run.card["verification"]
    assert report["passed"] and report["tolerance"] == 1e-4
    batches, lengths = zip(*(case["shape"][:2] for case in report["cases"]), strict=True)
    # test windows (up to verify.windows=128), one window alone, then the other lengths at batch 3
    assert batches[0] > 2 and batches[1:] == (1, *[3] * (len(verified) - 1))
    assert lengths == (window, *verified)
    # and independently of the card: a batch size and a length the export never saw
    length = window + 7 if len(verified) > 1 else window
    rng = np.random.default_rng(0)
    mean, std = graph.task.normalizer.mean.numpy(), graph.task.normalizer.std.numpy()
    x = (mean + std * rng.standard_normal((5, length, features))).astype(np.float32)
    onnx_out = OnnxMotionModel(exported_run.model_path, threads=1).predict(x)
    torch_out = graph.outputs(torch.from_numpy(x))
    for name, expected in torch_out.items():
        np.testing.assert_allclose(onnx_out[name], expected.numpy(), atol=1e-4, rtol=1e-4)


def test_metadata_round_trips(exported_run: ExportedRun):
    model = OnnxMotionModel(exported_run.model_path)
    meta = model.metadata
    task = exported_run.graph().task
    summary = json.loads((exported_run.run_dir / "summary.json").read_text())
    assert meta == exported_run.card["metadata"]
    assert model.feature_names == task.spec.feature_names and model.window == exported_run.graph().window
    assert model.fps == task.spec.fps and model.class_names == task.spec.class_names
    assert meta["task"] == type(task).__name__ and meta["output_mode"] == "app"
    np.testing.assert_allclose(meta["normalization"]["mean"], task.normalizer.mean.numpy())
    np.testing.assert_allclose(meta["normalization"]["std"], task.normalizer.std.numpy())
    descriptions = task.output_descriptions()
    assert {name: o["description"] for name, o in meta["outputs"].items()} == {
        name: descriptions[name] for name in model.output_names
    }
    assert meta["monitor"] == {"metric": "val/loss", "mode": "min", "value": summary["best_score"]}
    assert meta["test_metrics"] == summary["test_metrics"]
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", meta["git_commit"])
    assert onnx.load(str(exported_run.model_path)).producer_name == "motionlab"
    card_md = (exported_run.export_dir / "model_card.md").read_text()
    assert all(f"`{name}`" in card_md for name in model.output_names)
    assert all(f"| `{name}` |" in card_md for name in summary["test_metrics"] if name.count("/") <= 1)
    if exported_run.data == "reference":  # a policy's card says how it compares with standing still
        ratio = summary["test_metrics"]["test/rollout_ratio"]
        assert (
            f"Closed-loop rollout error = **{ratio:.2f} x** the best policy that needs no training" in card_md
        )


def test_int8_export_keeps_every_output_within_tolerance(exported_run: ExportedRun):
    """int8 vs fp32 on 128 test windows, every output in its own units, on a named instruction set."""
    quantization = exported_run.card["quantization"]
    assert quantization["status"] == "written" and quantization["size_ratio"] < 1.0
    agreement = quantization["agreement"]
    assert list(agreement) == list(exported_run.card["metadata"]["outputs"])
    assert all(entry["passed"] for entry in agreement.values()), agreement
    tolerances = quantization["tolerances"]
    for name, entry in agreement.items():
        if entry["kind"] == "probabilities":
            assert entry["top1_agreement"] >= tolerances["min_top1_agreement"], name
            assert entry["max_abs_diff"] <= tolerances["max_probability_diff"], name
        else:
            assert entry["kind"] == "values" and entry["spread"] > 0, name
            assert entry["relative_error"] <= tolerances["max_relative_error"], name
    kinds = {entry["kind"] for entry in agreement.values()}
    assert ("probabilities" in kinds) == bool(exported_run.card["metadata"]["class_names"])
    cpu = quantization["cpu"]
    assert cpu["machine"] and cpu["best"] == (cpu["int8_extensions"] or [None])[0]
    assert (
        f"int8 instructions: {', '.join(cpu['int8_extensions'])}"
        in (exported_run.export_dir / "model_card.md").read_text()
    )
    int8 = OnnxMotionModel(exported_run.export_dir / "model.int8.onnx", threads=1)
    assert int8.metadata["quantization"].startswith("int8 dynamic")


@pytest.mark.parametrize("kind", ["probabilities", "values"])
def test_int8_with_an_output_out_of_tolerance_is_not_written(
    exported_run: ExportedRun, kind: str, tmp_path, caplog
):
    """Real quantisation and ONNX Runtime, with the tolerance of one kind of output tightened below
    what int8 reaches: a classifier's top-1, or a regression head's error relative to its spread."""
    agreement = exported_run.card["quantization"]["agreement"]
    names = [name for name, entry in agreement.items() if entry["kind"] == kind]
    if not names:
        pytest.skip(f"the task has no {kind} output")
    int8_path = tmp_path / "model.int8.onnx"
    windows = load_test_split(exported_run.config, 64).windows
    tight = {"min_top1_agreement": 1.01} if kind == "probabilities" else {"max_relative_error": 1e-6}
    settings = OmegaConf.create(
        {
            "op_types": None,
            "min_top1_agreement": 0.0,
            "max_probability_diff": 1.0,
            "max_relative_error": 1e6,
            **tight,
        }
    )
    with caplog.at_level(logging.WARNING, logger="motionlab.export.pipeline"):
        report = quantize_checked(
            exported_run.model_path, int8_path, exported_run.card["metadata"], windows, settings
        )
    assert report["status"].startswith(f"rejected: {names[0]} ")
    assert [name for name, entry in report["agreement"].items() if not entry["passed"]] == names
    assert not int8_path.exists() and list(tmp_path.iterdir()) == []
    [line] = [r.getMessage() for r in caplog.records if r.name == "motionlab.export.pipeline"]
    assert line.startswith("int8 model not written: ") and "\n" not in line and names[0] in line


def test_latency_is_measured_for_batch_1_and_64_on_1_and_2_threads(exported_run: ExportedRun):
    rows = exported_run.card["latency"]["rows"]
    measured = {(r["runtime"], r["batch"], r["threads"]) for r in rows}
    runtimes = {"onnxruntime fp32", "onnxruntime int8", "pytorch eager"}
    assert measured == {(r, b, t) for r in runtimes for b in (1, 64) for t in (1, 2)}
    assert all(r["median_ms"] > 0 for r in rows)


def test_inference_on_a_whole_recording_matches_pytorch(exported_run: ExportedRun):
    graph = exported_run.graph()
    window = graph.window
    frames = load_test_split(exported_run.config, 1).frames[: 5 * window + 3]
    model = OnnxMotionModel(exported_run.model_path, threads=1)
    stride = max(1, window // 3)
    result = model.run_recording(frames, stride=stride, batch_size=4)

    starts, windows = sliding_windows(frames, window, stride)
    expected = graph.outputs(torch.from_numpy(np.ascontiguousarray(windows)))
    np.testing.assert_array_equal(result["window_starts"], starts)
    axes = exported_run.card["metadata"]["outputs"]
    assert model.per_frame_outputs() == [n for n in model.output_names if axes[n]["shape"][1:2] == ["time"]]
    for name, values in expected.items():
        if name in model.per_frame_outputs():
            values = overlap_average(values.numpy(), starts, len(frames))
            assert result[name].shape[0] == len(frames)
        np.testing.assert_allclose(result[name], np.asarray(values), atol=1e-4, rtol=1e-4)


def test_inference_package_runs_without_importing_torch(exported_run: ExportedRun):
    code = f"""
import json, sys
import numpy as np
from motionlab.inference.onnx_model import OnnxMotionModel
model = OnnxMotionModel({str(exported_run.model_path)!r})
frames = np.zeros((3 * model.window, len(model.feature_names)), dtype=np.float32)
outputs = model.run_recording(frames)
heavy = [name for name in ("torch", "lightning") if name in sys.modules]
print(json.dumps({{"outputs": sorted(outputs), "heavy": heavy}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["heavy"] == []
    assert result["outputs"] == sorted([*exported_run.card["metadata"]["outputs"], "window_starts"])
