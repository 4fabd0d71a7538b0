"""Run limits on real runs: the finite-loss guard, ``trainer.max_time``, and peak memory in the summary."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import lightning as L
import pytest
import torch

from motionlab.runs.index import collect
from motionlab.training.limits import NonFiniteLossError
from motionlab.training.resume import resume_command
from motionlab.training.run import train


def read_summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


class PoisonTarget(L.Callback):
    """Puts a NaN into one frame's rep-start target of one training batch: only the segmentation loss
    term (and the total) can go NaN, the classification term stays finite. Records the last batch run."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.at = (epoch, batch)
        self.last_batch: tuple[int, int] | None = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.last_batch = (trainer.current_epoch, batch_idx)
        if self.last_batch == self.at:
            batch["rep_target"][0, 0] = math.nan


@pytest.mark.slow
@pytest.mark.parametrize("every", [1, 1000])
def test_nan_loss_stops_the_run_naming_batch_and_term_and_keeps_last_good_checkpoint(make_config, every):
    """Checked every batch, the run stops at the poisoned one; checked every 1000 batches, the check
    before the end-of-epoch checkpoint catches it, and names the same batch."""
    cfg = make_config(
        "trainer.max_epochs=3", f"callbacks.finite_loss.check_every_n_steps={every}", "logger=none"
    )
    run_dir = Path(cfg.paths.output_dir)
    poison = PoisonTarget(epoch=1, batch=2)
    with pytest.raises(NonFiniteLossError) as raised:
        train(cfg, extra_callbacks=[poison])
    summary = read_summary(run_dir)
    steps_per_epoch = math.ceil(summary["data"]["train"]["windows"] / 32)
    assert poison.last_batch == (1, 2 if every == 1 else steps_per_epoch - 1)
    step = steps_per_epoch + 2
    message = str(raised.value)
    assert f"at epoch 1, batch 2 (global step {step}): loss = nan, seg_loss = nan; last finite: " in message
    last_good = rf"loss = [\d.]+ at global step {step - 1}, seg_loss = [\d.]+ at global step {step - 1}"
    assert re.search(rf"last finite: {last_good}; still finite: cls_loss\.", message)
    assert "task.optimizer.lr" in message and "gradient_clip_val=1" in message and "NaN/inf" in message
    assert summary["status"] == "failed" and summary["stopped_by"] == "non_finite_loss"
    assert summary["error"] == f"NonFiniteLossError: {message}"
    # last.ckpt is the end of epoch 0, with finite weights; no checkpoint holds the poisoned state
    last = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert last["global_step"] == steps_per_epoch
    assert all(torch.isfinite(w).all() for w in last["state_dict"].values() if w.is_floating_point())


@pytest.mark.slow
def test_max_time_stops_tests_best_and_resumes_from_last(make_config):
    cfg = make_config("trainer.max_epochs=100", "trainer.max_time={seconds:1}", "logger=none", run="timed")
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    summary = read_summary(run_dir)
    assert summary["status"] == "completed" and summary["stopped_by"] == "max_time"
    epochs = summary["current_epoch"]
    assert 1 <= epochs < 100
    assert summary["best_checkpoint"].endswith("best.ckpt") and "test/loss" in summary["test_metrics"]
    last = run_dir / "checkpoints" / "last.ckpt"
    state = torch.load(last, map_location="cpu", weights_only=False)
    assert state["global_step"] == summary["global_step"]
    [listed] = collect(run_dir)[0]
    assert (listed.status, listed.stopped_by) == ("completed", "max_time")

    # the elapsed time is in the checkpoint: continuing needs a larger limit (or none)
    train(make_config(f"trainer.max_epochs={epochs + 1}", "logger=none", f"ckpt_path={last}", run="timed"))
    resumed = read_summary(run_dir)
    assert resumed["status"] == "completed" and resumed["stopped_by"] == "max_epochs"
    assert resumed["current_epoch"] == epochs + 1 and resumed["global_step"] > summary["global_step"]


def test_resume_adds_overrides_after_the_runs_own(tmp_path):
    """``make resume ARGS=trainer.max_time=null``: a run stopped by its time limit goes on without it."""
    run_dir = tmp_path / "run"
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / "checkpoints").mkdir()
    torch.save({}, run_dir / "checkpoints" / "last.ckpt")
    (run_dir / ".hydra" / "overrides.yaml").write_text("- trainer.max_time=00:00:30:00\n")
    command = resume_command(run_dir, Path("train.py"), ["trainer.max_time=null"])
    assert command[2:] == [
        "trainer.max_time=00:00:30:00",
        f"hydra.run.dir={run_dir}",
        f"ckpt_path={run_dir / 'checkpoints' / 'last.ckpt'}",
        "trainer.max_time=null",
    ]


def test_summary_reports_peak_memory(make_config):
    cfg = make_config("debug=fdr", "logger=none", run="memory")
    train(cfg)
    resources = read_summary(Path(cfg.paths.output_dir))["resources"]
    assert resources["peak_rss_mb"] > 50  # a Python process with torch loaded
    assert resources["cuda_peak_allocated_mb"] is None and resources["cuda_device"] is None
    assert resources["processes"] == [
        {
            "rank": 0,
            "peak_rss_mb": resources["peak_rss_mb"],
            "cuda_peak_allocated_mb": None,
            "cuda_peak_reserved_mb": None,
        }
    ]
