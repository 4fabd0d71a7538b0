"""Streaming export: a causal LSTM/GRU/TCN as one frame in, state kept — exported to ONNX, run in
ONNX Runtime frame by frame and equal to the windowed PyTorch model on the same stream."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from motionlab.data.workout.format import JOINT_ANGLES, WORKOUT_CLASSES
from motionlab.errors import ConfigError
from motionlab.export.case import main as write_case_command
from motionlab.export.errors import ExportVerificationError
from motionlab.export.graph import ExportGraph
from motionlab.export.metadata import output_axes
from motionlab.export.pipeline import export_model
from motionlab.export.registry import read_registry
from motionlab.export.streaming import streaming_graph, write_streaming
from motionlab.files import file_sha256
from motionlab.inference.streaming import StreamingMotionModel
from motionlab.runs.sources import resolve_source
from motionlab.sweep.compose import compose_config as compose_named
from motionlab.tasks import GaitTask, WorkoutTask
from motionlab.tasks.base import MotionTask
from motionlab.training.run import train
from tests.export.conftest import NODE, Chromium
from tests.export.test_registry import FAST_EXPORT
from tests.helpers import CONFIG_DIR, TINY, compose_config
from tests.tasks.test_gait_task import gait_spec

pytestmark = pytest.mark.slow

TASK_ARGS = {"optimizer": {"name": "adam", "lr": 1e-3}, "scheduler": None, "monitor": {"metric": "val/loss"}}
TCN = {"_target_": "motionlab.models.encoders.TCNEncoder", "channels": 8, "num_blocks": 3}
RNN = {"_target_": "motionlab.models.encoders.RecurrentEncoder", "hidden_size": [12, 8], "num_layers": None}
CAUSAL = {
    "causal TCN": {**TCN, "causal": True, "attention_heads": 0},
    "LSTM": {**RNN, "cell": "lstm", "attention_heads": 0},
    "GRU": {**RNN, "cell": "gru", "attention_heads": 0},
}


def workout_task(encoder: dict, pool: str = "mean") -> WorkoutTask:
    torch.manual_seed(0)
    spec = {
        "feature_names": list(JOINT_ANGLES),
        "window": 30,
        "fps": 30.0,
        "class_names": list(WORKOUT_CLASSES),
    }
    task = WorkoutTask(
        encoder=encoder, data_spec=spec, cls_hidden=[8], seg_hidden=[8], pool=pool, **TASK_ARGS
    )
    return task.eval()


def export_stream(task: MotionTask, path, frames: int = 45):
    """``write_streaming`` on a stream of ``frames`` random frames in the data's range (2 streams)."""
    windowed = ExportGraph(task, "app")
    metadata = {
        **task.export_metadata(),
        "outputs": {name: {"shape": axes} for name, axes in output_axes(windowed).items()},
    }
    rng = np.random.default_rng(0)
    stream = (rng.standard_normal((2, frames, windowed.num_features)) * 20).astype(np.float32)
    card = write_streaming(lambda: task, windowed, metadata, path, stream, 18, 1e-4)
    return card, stream


@pytest.mark.parametrize("encoder", list(CAUSAL), ids=list(CAUSAL))
def test_a_streaming_model_equals_the_windowed_one_on_the_same_stream(encoder, tmp_path):
    task = workout_task(CAUSAL[encoder])
    path = tmp_path / "model.streaming.onnx"
    card, stream = export_stream(task, path)
    report = card["verification"]
    assert report["passed"] and report["stream"] == [2, 45, 25] and report["tolerance"] == 1e-4
    assert set(report["max_abs_diff"]) == {"exercise_probs", "rep_start_prob"}
    assert card["per_frame_outputs"] == ["rep_start_prob"] and card["latency"]["median_ms"] > 0
    names = {entry["input"] for entry in card["state"]}
    assert ("state_pool_sum" in names) and (("state_rnn0_cell" in names) == (encoder == "LSTM"))

    # independently: the whole stream through the windowed model at once, frame by frame in ONNX
    model = StreamingMotionModel(path, batch=2)
    streamed = model.run(stream)
    with torch.no_grad():
        windowed = task.predict_outputs(torch.from_numpy(stream))
    np.testing.assert_allclose(streamed["rep_start_prob"], windowed["rep_start_prob"].numpy(), atol=1e-5)
    np.testing.assert_allclose(
        streamed["exercise_probs"][:, -1], windowed["exercise_probs"].numpy(), atol=1e-5
    )
    # reset starts a new stream: the same frames give the same outputs again; one stream at a time too
    model.reset(batch=1)
    first = model.step(stream[1, 0])
    assert first["rep_start_prob"].shape == () and first["exercise_probs"].shape == (len(WORKOUT_CLASSES),)
    np.testing.assert_allclose(first["rep_start_prob"], streamed["rep_start_prob"][1, 0], atol=1e-6)


@pytest.mark.parametrize(
    ("encoder", "pool", "why"),
    [
        ({**RNN, "cell": "lstm", "bidirectional": True}, "mean", "not causal"),
        ({**TCN, "causal": False, "attention_heads": 0}, "mean", "not causal"),
        ({**TCN, "causal": True, "attention_heads": 2}, "mean", "self-attention"),
        (CAUSAL["GRU"], "attention", "task.pool='attention'"),
    ],
    ids=["BiLSTM", "non-causal TCN", "attention", "attention pooling"],
)
def test_a_model_without_a_streaming_form_is_refused_before_anything_is_exported(encoder, pool, why):
    task = workout_task(encoder, pool)
    with pytest.raises(ConfigError, match=r"export\.streaming") as error:
        streaming_graph(lambda: task, "app")
    assert why in str(error.value)


def test_a_streaming_model_that_differs_from_the_windowed_one_is_not_written(tmp_path):
    """The gait task's body frame centres each window on its mean hip position: a per-frame step
    cannot know it, so the streaming model disagrees and the export refuses it."""
    torch.manual_seed(0)
    task = GaitTask(
        encoder=CAUSAL["GRU"], data_spec=gait_spec(), phase_hidden=[8], pooled_hidden=[8], **TASK_ARGS
    )
    path = tmp_path / "model.streaming.onnx"
    with pytest.raises(ExportVerificationError, match="does not match the windowed model"):
        export_stream(task.eval(), path, frames=6)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def streaming_run(tmp_path_factory, sample_cache) -> tuple[Path, Path, dict]:
    """A tiny causal-TCN workout run exported with ``export.streaming=true``: (log_dir, run_dir, card)."""
    log_dir = tmp_path_factory.mktemp("streaming") / "outputs"
    tiny = [o for o in TINY if not o.startswith("model.attention_heads")]
    overrides = [*tiny, "model.causal=true", "model.attention_heads=0", "++trainer.limit_train_batches=4"]
    cfg = compose_config([*overrides, "logger=none"], log_dir, sample_cache, run="trained")
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    return log_dir, run_dir, export_run(log_dir, run_dir, "export.streaming=true").card


def export_run(log_dir: Path, run_dir: Path, *overrides: str):
    cfg = compose_named(
        CONFIG_DIR, "export", [f"run={run_dir}", f"paths.log_dir={log_dir}", *FAST_EXPORT, *overrides]
    )
    return export_model(resolve_source(cfg.run, None, log_dir, log_dir / "sweeps"), cfg)


def test_export_with_streaming_writes_the_model_its_card_and_its_latency(streaming_run, tmp_path):
    log_dir, run_dir, card = streaming_run
    streaming = card["streaming"]
    path = run_dir / "export" / "model.streaming.onnx"
    assert card["files"]["streaming"]["name"] == path.name and path.is_file()
    assert streaming["verification"]["passed"] and streaming["verification"]["stream"][1] == 60
    assert streaming["latency"]["median_ms"] > 0 and streaming["latency"]["windowed"]["median_ms"] > 0
    assert [entry["input"] for entry in streaming["state"]] == [
        "state_block0_past",
        "state_block1_past",
        "state_pool_sum",
        "state_pool_count",
    ]
    card_md = (run_dir / "export" / "model_card.md").read_text()
    assert "## Streaming (`model.streaming.onnx`)" in card_md and "`state_block1_past`" in card_md
    [entry] = read_registry(log_dir / "model_registry.json")
    assert entry["streaming"] == {"path": str(path), **card["files"]["streaming"]}
    assert entry["streaming"]["sha256"] == file_sha256(path)
    model = StreamingMotionModel(path)
    assert model.metadata["streaming"]["state"] == streaming["state"]
    assert model.feature_names == card["metadata"]["feature_names"]
    # streaming off: an older streaming file does not stay beside the new export
    shutil.copy(path, tmp_path / path.name)
    export_run(log_dir, run_dir, f"export.output_dir={tmp_path}")
    assert not (tmp_path / path.name).exists() and (tmp_path / "model.onnx").is_file()


def test_both_examples_run_the_streaming_model_frame_by_frame(
    streaming_run, chromium: Chromium, node_example: Path, tmp_path
):
    """case.json carries the streaming outputs; Node and the browser match them, state kept."""
    _, run_dir, _ = streaming_run
    export_dir = run_dir / "export"
    case_path = tmp_path / "case.json"
    write_case_command([str(run_dir), "--out", str(case_path), "--windows", "3"])
    case = json.loads(case_path.read_text())
    assert case["streaming"]["model"] == "model.streaming.onnx"
    for name in ("model.onnx", "model.streaming.onnx", "model_card.json"):
        shutil.copy(export_dir / name, tmp_path)
    result = chromium.run(str(case_path))
    assert result["errors"] == [] and result["ok"] and result["streaming"]["ok"], result["errors"]
    frames = case["session"]["frames"]["shape"][0]
    assert len(result["streaming"]["latencies"]) == frames
    done = subprocess.run(
        [NODE, "stream_model.mjs", str(tmp_path / "model.streaming.onnx"), str(case_path)],
        cwd=node_example,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    *outputs, latency = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["output"] for line in outputs] == list(case["streaming"]["expected"])
    assert latency["frames"] == frames and latency["medianMsPerFrame"] > 0
