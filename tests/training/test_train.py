"""End-to-end runs of `train(cfg)` on the built-in workout sample: real Trainer, real files."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from motionlab.runs.find import latest_run_dir
from motionlab.tasks import ClassifyTask, WorkoutTask
from motionlab.training.resume import resume_command
from motionlab.training.run import train
from tests.helpers import POSE_TINY, REPO, TINY, compose_config


def read_summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def test_fast_dev_run_goes_through_fit_and_test(make_config):
    cfg = make_config("debug=fdr")
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    summary = read_summary(run_dir)
    assert summary["status"] == "completed" and summary["error"] is None
    assert 0.0 <= summary["test_metrics"]["test/acc"] <= 1.0
    # the fitting phase's cost, part of the run's (which also reads the data and tests)
    assert summary["fit_cpu_seconds"] > 0 and 0 < summary["fit_seconds"] < summary["duration_s"]
    report = json.loads((run_dir / "data_report.json").read_text())
    assert set(report["splits"]) == {"train", "val", "test"}
    groups = [set(report["splits"][s]["groups"]) for s in ("train", "val", "test")]
    assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2])


def test_bf16_mixed_precision_runs_on_cpu(make_config):
    cfg = make_config("debug=fdr", "trainer.precision=bf16-mixed")
    train(cfg)
    summary = read_summary(Path(cfg.paths.output_dir))
    assert summary["status"] == "completed" and math.isfinite(summary["test_metrics"]["test/loss"])


@pytest.mark.slow
def test_run_directory_has_checkpoints_events_config_and_history(make_config):
    cfg = make_config("trainer.max_epochs=2")
    value = train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert "${" not in (run_dir / "config.yaml").read_text()  # resolved
    encoder = json.loads((run_dir / "label_encoder.json").read_text())
    assert encoder["class_names"][0] == "push_up" and encoder["label_to_index"]["no_exercise"] == 4
    assert (run_dir / "test_confusion_matrix.png").is_file() and (run_dir / "test_rep_starts.png").is_file()
    summary = read_summary(run_dir)
    assert [row["epoch"] for row in summary["history"]] == [0, 1]
    best_epoch_loss = min(row["val/loss"] for row in summary["history"])
    assert math.isclose(value, best_epoch_loss, rel_tol=1e-5)
    assert summary["best_checkpoint"].endswith("best.ckpt") and math.isclose(summary["best_score"], value)
    assert {"test/acc", "test/f1", "test/seg_auroc", "test/rep_count_mae"} <= set(summary["test_metrics"])
    assert len(summary["details"]["test_rep_counts"]) == summary["data"]["test"]["recordings"]
    events = EventAccumulator(str(run_dir))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {
        "train/loss_step",
        "train/loss_epoch",
        "val/loss",
        "val/acc",
        "val/recall/squat",
        "test/acc",
    } <= tags
    assert len(events.Scalars("val/loss")) == 2
    assert {"val/confusion_matrix", "val/rep_starts", "test/confusion_matrix"} <= set(events.Tags()["images"])
    confusion = np.array(summary["details"]["test_confusion_matrix"])
    assert confusion.shape == (5, 5) and confusion.sum() == summary["data"]["test"]["windows"]
    # the checkpoint alone rebuilds the model, normalisation statistics included
    model = WorkoutTask.load_from_checkpoint(summary["best_checkpoint"])
    assert model.normalizer.std.ne(1).all() and model.spec.class_names[0] == "push_up"


class StopAt(L.Callback):
    """Raises ``error`` at a given global step, like a Ctrl-C or a crash in the middle of an epoch."""

    def __init__(self, step: int, error: BaseException) -> None:
        self.step, self.error = step, error

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.step:
            raise self.error


@pytest.mark.slow
def test_interrupted_run_resumes_in_place_from_its_global_step(make_config):
    cfg = make_config("trainer.max_epochs=3")
    with pytest.raises(SystemExit):  # Lightning turns Ctrl-C into a graceful exit(1)
        train(cfg, extra_callbacks=[StopAt(5, KeyboardInterrupt())])
    run_dir = Path(cfg.paths.output_dir)
    assert read_summary(run_dir)["status"] == "interrupted"
    last = run_dir / "checkpoints" / "last.ckpt"
    assert torch.load(last, map_location="cpu", weights_only=False)["global_step"] == 5

    train(make_config("trainer.max_epochs=3", f"ckpt_path={last}"))  # what `make resume` runs
    summary = read_summary(run_dir)
    assert summary["status"] == "completed"
    assert [r["from"] for r in summary["resumes"]] == [str(last)]
    steps_per_epoch = math.ceil(summary["data"]["train"]["windows"] / 32)
    assert summary["global_step"] == 3 * steps_per_epoch
    assert [row["epoch"] for row in summary["history"]] == [0, 1, 2]
    # best-checkpoint tracking continued across the interruption
    assert math.isclose(
        summary["best_score"], min(row["val/loss"] for row in summary["history"]), rel_tol=1e-5
    )


def test_resume_command_reuses_the_runs_overrides(tmp_path):
    run_dir = tmp_path / "outputs" / "workout_tcn" / "2026-01-01_00-00-00"
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / "checkpoints").mkdir()
    torch.save({}, run_dir / "checkpoints" / "last.ckpt")
    (run_dir / ".hydra" / "overrides.yaml").write_text(
        "- experiment=workout_tcn\n- model.channels=64\n- ckpt_path=x\n"
    )
    command = resume_command(run_dir, Path("train.py"))
    assert command[1:] == [
        "train.py",
        "experiment=workout_tcn",
        "model.channels=64",
        f"hydra.run.dir={run_dir}",
        f"ckpt_path={run_dir / 'checkpoints' / 'last.ckpt'}",
    ]
    (run_dir / "summary.json").write_text('{"status": "interrupted"}')
    assert latest_run_dir(tmp_path / "outputs") == run_dir
    (run_dir / "checkpoints" / "last.ckpt").unlink()
    with pytest.raises(FileNotFoundError, match="no last checkpoint to resume from"):
        resume_command(run_dir, Path("train.py"))


def test_crash_is_recorded_with_its_message(make_config):
    cfg = make_config(run="crash")
    with pytest.raises(RuntimeError, match="disk on fire"):
        train(cfg, extra_callbacks=[StopAt(2, RuntimeError("disk on fire"))])
    summary = read_summary(Path(cfg.paths.output_dir))
    assert summary["status"] == "failed" and summary["error"] == "RuntimeError: disk on fire"
    assert (Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt").is_file()


def test_bad_data_path_fails_clearly_before_training(make_config, tmp_path):
    cfg = make_config(f"data.path={tmp_path / 'nowhere'}", run="bad")
    with pytest.raises(Exception, match="nowhere"):
        train(cfg)
    assert read_summary(Path(cfg.paths.output_dir))["status"] == "failed"


# 445 test windows: an odd count, which a sampler padding the split for 2 processes would round up.
ODD_TEST_SPLIT = ["data.eval_stride=13", "logger=none"]


def train_with_ddp(run_dir: Path, sample_cache: Path, overrides: list[str]) -> tuple[subprocess.Popen, str]:
    """``train.py`` with ``trainer=ddp_cpu`` (2 processes) and ``overrides`` (their ``trainer=`` left
    out), run to completion: the process and its output."""
    command = [
        sys.executable,
        "train.py",
        "trainer=ddp_cpu",
        *[o for o in overrides if not o.startswith("trainer=")],
        f"hydra.run.dir={run_dir}",
        f"paths.cache_dir={sample_cache}",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = process.communicate(timeout=300)[0]
    assert process.returncode == 0, output[-3000:]
    return process, output


@pytest.mark.slow
def test_ddp_cpu_trains_with_two_processes(tmp_path, sample_cache, make_config):
    """A real 2-process DDP run (gloo): rank zero alone writes the run's files, the global batch is
    recorded, and the test metrics equal a single process testing the same checkpoint on the same
    data (every test window evaluated exactly once, none repeated to even out the processes)."""
    run_dir = tmp_path / "ddp"
    process, output = train_with_ddp(run_dir, sample_cache, [*TINY, *ODD_TEST_SPLIT])
    assert "world_size=2" in output or "MEMBER: 2/2" in output
    summary = read_summary(run_dir)
    assert summary["status"] == "completed"
    assert summary["pid"] == process.pid  # written last by rank zero (the launching process), not rank 1
    assert summary["batch_size"] == {
        "per_device": 32,
        "devices": 2,
        "num_nodes": 1,
        "accumulate_grad_batches": 1,
        "global": 64,
    }
    assert "global batch size 64 = 32 per device × 2 device(s)" in (run_dir / "train.log").read_text()
    # each of the 2 processes sees half of the training windows per epoch
    windows = summary["data"]["train"]["windows"]
    assert summary["global_step"] == math.ceil(math.ceil(windows / 2) / 32)
    assert [p["rank"] for p in summary["resources"]["processes"]] == [0, 1]  # gathered from both
    # one run directory, each file once and whole
    assert [path.name for path in tmp_path.iterdir()] == ["ddp"]
    assert output.count("data: ") == 1  # the data report is printed by rank zero only
    assert not list(run_dir.rglob("*.tmp"))
    for name in ("data_report.json", "label_encoder.json", "summary.json"):
        json.loads((run_dir / name).read_text())
    assert (run_dir / "test_confusion_matrix.png").is_file() and (run_dir / ".hydra").is_dir()
    assert "evaluated exactly once" not in output  # no DistributedSampler repeating test windows
    test_windows = summary["data"]["test"]["windows"]
    assert test_windows % 2 == 1  # so a padding sampler would have repeated a window
    assert np.sum(summary["details"]["test_confusion_matrix"]) == test_windows

    cfg = make_config(*ODD_TEST_SPLIT)
    datamodule = instantiate(cfg.data, _convert_="all")
    single = L.Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False)
    task = WorkoutTask.load_from_checkpoint(summary["best_checkpoint"])
    expected = single.test(task, datamodule=datamodule, verbose=False)[0]
    assert set(summary["test_metrics"]) == set(expected)
    for name, value in expected.items():
        assert math.isclose(summary["test_metrics"][name], value, rel_tol=1e-5, abs_tol=1e-6), name


@pytest.mark.slow
def test_ddp_recording_results_equal_a_single_process(tmp_path, sample_cache):
    """A pose classifier under 2-process DDP: every process holds some of the test windows, and the
    recording-level metrics gathered from both equal one process testing the same checkpoint."""
    odd = [*POSE_TINY, "data.eval_stride=7", "logger=none"]  # 79 test windows: uneven per process
    train_with_ddp(tmp_path / "ddp", sample_cache, odd)
    summary = read_summary(tmp_path / "ddp")
    assert summary["data"]["test"]["windows"] % 2 == 1
    cfg = compose_config(odd, tmp_path / "single", sample_cache)
    single = L.Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False)
    task = ClassifyTask.load_from_checkpoint(summary["best_checkpoint"])
    expected = single.test(task, datamodule=instantiate(cfg.data, _convert_="all"), verbose=False)[0]
    for name in ("test/acc", "test/f1", "test/recording_acc", "test/recording_f1", "test/worst_group_acc"):
        assert math.isclose(summary["test_metrics"][name], expected[name], abs_tol=1e-6), name
    # both processes' windows were aggregated, each once
    report = json.loads((tmp_path / "ddp" / "evaluation_report.json").read_text())["recording"]
    assert (
        report["windows"] == summary["data"]["test"]["windows"] == task.eval_details["test_recording_windows"]
    )
    assert report["recordings"] == int(np.sum(summary["details"]["test_recording_confusion_matrix"]))
