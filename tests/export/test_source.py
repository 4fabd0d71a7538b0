"""Which checkpoint gets exported: latest completed run, a named run, a sweep's best trial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from motionlab.errors import ConfigError
from motionlab.runs.find import latest_completed_run
from motionlab.runs.sources import resolve_source


def make_run(log_dir: Path, name: str, status: str, finished_at: str | None, best: bool = True) -> Path:
    run_dir = log_dir / name / "2026-01-01_00-00-00"
    (run_dir / "checkpoints").mkdir(parents=True)
    checkpoint = run_dir / "checkpoints" / "best.ckpt"
    torch.save({"state_dict": {}}, checkpoint)  # read as data (its stored classes are checked)
    summary = {
        "status": status,
        "finished_at": finished_at,
        "best_checkpoint": str(checkpoint) if best else None,
        "best_score": 0.25,
        "monitor": {"metric": "val/loss", "mode": "min"},
        "test_metrics": {"test/acc": 0.9},
    }
    (run_dir / "summary.json").write_text(json.dumps(summary))
    (run_dir / "config.yaml").write_text("task:\n  _target_: motionlab.tasks.WorkoutTask\n")
    return run_dir


@pytest.fixture
def log_dir(tmp_path) -> Path:
    log_dir = tmp_path / "outputs"
    make_run(log_dir, "a", "completed", "2026-01-01T10:00:00+00:00")
    make_run(log_dir, "b", "completed", "2026-01-01T11:00:00+00:00")
    make_run(log_dir, "c", "running", None)
    make_run(log_dir, "d", "failed", "2026-01-01T12:00:00+00:00")
    make_run(log_dir, "e", "completed", "2026-01-01T13:00:00+00:00", best=False)
    return log_dir


def test_the_latest_completed_run_with_a_best_checkpoint_is_chosen(log_dir):
    assert latest_completed_run(log_dir) == log_dir / "b" / "2026-01-01_00-00-00"
    source = resolve_source(None, None, log_dir, log_dir / "sweeps")
    assert source.checkpoint.name == "best.ckpt" and source.task_target == "motionlab.tasks.WorkoutTask"
    assert source.monitor == {"metric": "val/loss", "mode": "min", "value": 0.25}
    assert source.test_metrics == {"test/acc": 0.9} and source.sweep is None


def test_no_completed_run_says_what_to_do(tmp_path):
    make_run(tmp_path, "c", "running", None)
    with pytest.raises(FileNotFoundError, match="make train"):
        latest_completed_run(tmp_path)


def test_a_named_run_must_be_completed(log_dir):
    source = resolve_source(str(log_dir / "a" / "2026-01-01_00-00-00"), None, log_dir, log_dir)
    assert source.run_dir.parent.name == "a"
    with pytest.raises(ConfigError, match="status 'failed'"):
        resolve_source(str(log_dir / "d" / "2026-01-01_00-00-00"), None, log_dir, log_dir)
    with pytest.raises(FileNotFoundError, match="no run summary"):
        resolve_source(str(log_dir / "nowhere"), None, log_dir, log_dir)


def test_a_sweep_exports_its_best_trial(log_dir):
    run_dir = log_dir / "a" / "2026-01-01_00-00-00"
    best = {
        "study": "lr",
        "trial": 3,
        "value": 0.2,
        "params": {"task.optimizer.lr": 0.001},
        "run_dir": str(run_dir),
        "best_checkpoint": str(run_dir / "checkpoints" / "best.ckpt"),
    }
    (log_dir / "sweeps" / "lr").mkdir(parents=True)
    (log_dir / "sweeps" / "lr" / "best.json").write_text(json.dumps(best))
    source = resolve_source(None, "lr", log_dir, log_dir / "sweeps")
    assert source.run_dir == run_dir
    assert source.describe()["sweep"] == {"study": "lr", "trial": 3, "value": 0.2, "params": best["params"]}
    with pytest.raises(FileNotFoundError, match="no best trial recorded for sweep 'other'"):
        resolve_source(None, "other", log_dir, log_dir / "sweeps")
    with pytest.raises(ConfigError, match="both are set"):
        resolve_source(str(run_dir), "lr", log_dir, log_dir / "sweeps")


def test_a_truncated_summary_does_not_hide_the_other_runs(log_dir):
    broken = log_dir / "z" / "2026-01-02_00-00-00" / "summary.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"status": "compl')
    assert latest_completed_run(log_dir) == log_dir / "b" / "2026-01-01_00-00-00"
