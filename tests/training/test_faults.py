"""Real processes stopped the hard way: SIGTERM ends with 143 (not success), and a run killed with
SIGKILL mid-epoch resumes to the same history and global step as a run that was never stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lightning as L
import pytest
import torch

from motionlab.exits import SIGINT_EXIT, SIGTERM_EXIT
from motionlab.training import train
from tests.helpers import REPO, TINY


def start_training(run_dir: Path, cache_dir: Path, *overrides: str) -> subprocess.Popen:
    """``python train.py`` at test size, writing to ``run_dir``."""
    command = [
        sys.executable,
        "train.py",
        *TINY,
        f"hydra.run.dir={run_dir}",
        f"paths.cache_dir={cache_dir}",
        *overrides,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def history(run_dir: Path) -> list[dict]:
    try:
        return json.loads((run_dir / "summary.json").read_text())["history"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return []


def wait_until(ready: Callable[[], bool], process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.communicate()[0].decode(errors="replace")
            raise AssertionError(f"training ended or stalled before the signal:\n{output[-3000:]}")
        time.sleep(0.02)


def test_sigterm_saves_last_checkpoint_records_interrupted_and_exits_143(tmp_path, sample_cache):
    run_dir = tmp_path / "run"
    process = start_training(run_dir, sample_cache, "trainer.max_epochs=200", "logger=none")
    wait_until(lambda: len(history(run_dir)) >= 1, process)  # training, past its first epoch
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=120)[0].decode(errors="replace")
    assert process.returncode == SIGTERM_EXIT, output[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    last = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["global_step"] > 0
    assert "Traceback" not in output


class CtrlC(L.Callback):
    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == 3:
            os.kill(os.getpid(), signal.SIGINT)  # Python raises KeyboardInterrupt in this thread


def test_ctrl_c_saves_last_checkpoint_and_exits_130(make_config):
    cfg = make_config("trainer.max_epochs=3")
    with pytest.raises(SystemExit) as stopped:
        train(cfg, extra_callbacks=[CtrlC()])
    assert stopped.value.code == SIGINT_EXIT
    run_dir = Path(cfg.paths.output_dir)
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "interrupted"
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()


def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_run(make_config, sample_cache):
    """With a logger, the learning-rate monitor logs at every epoch start, also on the resumed one.
    The resumed run's history has every epoch with the same metric names as an uninterrupted
    run's (the interrupted process's rows are kept, not rewritten from an empty epoch), and the same
    global step."""
    epochs = ["trainer.max_epochs=3"]
    cfg = make_config(*epochs, run="killed")
    run_dir = Path(cfg.paths.output_dir)
    process = start_training(run_dir, sample_cache, *epochs)
    wait_until(lambda: len(history(run_dir)) >= 1, process)  # epoch 1 has just started
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert [row["epoch"] for row in history(run_dir)] == [0]

    last = run_dir / "checkpoints" / "last.ckpt"
    train(make_config(*epochs, f"ckpt_path={last}", run="killed"))  # what make resume runs
    resumed = json.loads((run_dir / "summary.json").read_text())
    straight_cfg = make_config(*epochs, run="straight")
    train(straight_cfg)
    straight = json.loads((Path(straight_cfg.paths.output_dir) / "summary.json").read_text())

    assert resumed["status"] == "completed" and len(resumed["resumes"]) == 1
    assert [sorted(row) for row in resumed["history"]] == [sorted(row) for row in straight["history"]]
    assert [row["epoch"] for row in resumed["history"]] == [0, 1, 2]
    assert resumed["global_step"] == straight["global_step"]
