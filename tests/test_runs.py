"""The run index reads what real runs and sweeps leave behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from motionlab.runs.find import latest_run_dir
from motionlab.runs.index import collect, main
from motionlab.training.summary import RunSummary


def write_run(root: Path, name: str, stamp: str, status: str, **fields) -> Path:
    run_dir = root / name / stamp
    summary = RunSummary(
        run_dir / "summary.json", name=name, monitor={"metric": "val/loss", "mode": "min"}, max_epochs=10
    )
    summary.update(started_at=f"2026-11-{stamp}T10:00:00+00:00", current_epoch=3, **fields)
    if status != "running":
        summary.finish(status, RuntimeError("boom") if status == "failed" else None)
    return run_dir


def test_index_lists_runs_newest_first_with_status_metric_and_checkpoint(tmp_path):
    write_run(tmp_path, "workout_tcn", "01", "completed", best_score=0.39, best_checkpoint="a/best.ckpt")
    write_run(tmp_path, "pose_lstm", "02", "failed")
    stale = write_run(tmp_path, "workout_tcn", "03", "running")
    summary = json.loads((stale / "summary.json").read_text())
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    summary["pid"] = int(dead.stdout)  # a process that has exited
    (stale / "summary.json").write_text(json.dumps(summary))
    write_run(tmp_path, "workout_tcn", "04", "running")  # this very process: alive

    runs, sweeps = collect(tmp_path)
    assert [(r.name, r.status) for r in runs] == [
        ("workout_tcn", "running"),
        ("workout_tcn", "stopped"),
        ("pose_lstm", "failed"),
        ("workout_tcn", "completed"),
    ]
    assert runs[2].error == "RuntimeError: boom"
    assert runs[3].best == 0.39 and runs[3].best_checkpoint == "a/best.ckpt" and runs[3].epochs == "3/10"
    assert runs[3].metric == "val/loss (min)"
    assert sweeps == []


def test_index_lists_sweeps_with_experiment_status_metric_and_duration(tmp_path, capsys):
    sweep = tmp_path / "sweeps" / "workout_tcn"
    # trial: (status, start, seconds); the sweep spans 10:00:00 to 10:20:00 (trial 1's end)
    trials = [
        ("completed", "10:00:00", 600),
        ("completed", "10:05:00", 900),
        ("pruned", "10:12:00", 60),
        ("running", "10:15:00", 30),  # this very process: alive
    ]
    for number, (status, start, seconds) in enumerate(trials):
        run_dir = write_run(sweep, f"trial_{number}", "05", status)
        summary = json.loads((run_dir / "summary.json").read_text())
        summary.update(name="workout_tcn", started_at=f"2026-11-05T{start}+00:00", duration_s=seconds)
        (run_dir / "summary.json").write_text(json.dumps(summary))
    (sweep / "best.json").write_text(
        json.dumps({"study": "workout_tcn", "trial": 1, "value": 0.2, "best_checkpoint": "t1/best.ckpt"})
    )
    write_run(tmp_path, "pose_lstm", "06", "completed")  # not a trial of the sweep

    assert main([str(tmp_path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed["runs"]) == 5
    assert listed["sweeps"] == [
        {
            "study": "workout_tcn",
            "sweep_dir": str(sweep),
            "experiment": "workout_tcn",
            "status": "1 running, 2 completed, 1 pruned",
            "trials": 4,
            "metric": "val/loss (min)",
            "best_trial": 1,
            "best_value": 0.2,
            "best_checkpoint": "t1/best.ckpt",
            "duration_s": 1200.0,
        }
    ]
    assert main([str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "1 sweep(s)" in table and "1 running, 2 completed, 1 pruned" in table and "t1/best.ckpt" in table
    assert main([str(tmp_path / "missing")]) == 1


def test_an_unreadable_summary_is_listed_as_such_and_the_others_still_are(tmp_path, capsys):
    write_run(tmp_path, "workout_tcn", "01", "completed")
    broken = tmp_path / "workout_tcn" / "02" / "summary.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"status": "runn')  # cut short
    assert main([str(tmp_path)]) == 0
    runs, _ = collect(tmp_path)
    assert [r.status for r in runs] == ["completed", "unreadable"]
    assert runs[1].error.startswith(f"{broken}: ")
    assert "unreadable" in capsys.readouterr().out


def test_resume_without_a_run_picks_the_newest_stopped_run(tmp_path):
    """Not the newest last.ckpt whatever its run's status: completed runs and pruned trials are done."""
    runs = {
        "interrupted": write_run(tmp_path, "a", "01", "interrupted"),
        "killed": write_run(tmp_path, "b", "02", "running"),
        "completed": write_run(tmp_path, "c", "03", "completed"),
        "pruned": write_run(tmp_path / "sweeps" / "s", "trial_0", "04", "pruned"),
    }
    for age, run_dir in enumerate(reversed(runs.values())):  # the later in the dict, the newer
        last = run_dir / "checkpoints" / "last.ckpt"
        last.parent.mkdir(parents=True)
        last.touch()
        os.utime(last, (1e9 - age, 1e9 - age))
    assert latest_run_dir(tmp_path) == runs["interrupted"]  # "killed" still runs: this very process
    summary = json.loads((runs["killed"] / "summary.json").read_text())
    summary["pid"] = int(subprocess.check_output([sys.executable, "-c", "import os; print(os.getpid())"]))
    (runs["killed"] / "summary.json").write_text(json.dumps(summary))  # now its process is gone
    assert latest_run_dir(tmp_path) == runs["killed"]
