"""Real processes stopped the hard way: SIGTERM ends with 143 (not success), and a run killed with
SIGKILL mid-epoch resumes to the same history and global step as a run that was never stopped."""

from __future__ import annotations

import errno
import io
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

from motionlab.errors import ConfigError, DataFormatError
from motionlab.exits import SIGINT_EXIT, SIGTERM_EXIT
from motionlab.training.checkpoint_io import save_atomic
from motionlab.training.limits import NonFiniteMetricError
from motionlab.training.resume import resume_command
from motionlab.training.run import train
from tests.helpers import REPO, TINY

pytestmark = pytest.mark.slow


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


@pytest.fixture
def ctrl_c_raises():
    """Python's own Ctrl-C handler (KeyboardInterrupt) for the test, whatever an earlier test in this
    worker left behind; the previous handler afterwards."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class IgnoresCtrlC(L.Callback):
    """Leaves Ctrl-C ignored as a fit ends, as Lightning's DDP teardown does when destroying the
    process group fails (`lightning.fabric.utilities.distributed._destroy_dist_connection`)."""

    def teardown(self, trainer, module, stage) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_a_run_gives_back_the_ctrl_c_handler_it_started_with(make_config, ctrl_c_raises):
    train(make_config("trainer.max_epochs=1"), extra_callbacks=[IgnoresCtrlC()])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_saves_last_checkpoint_exits_130_and_leaves_ctrl_c_working(make_config, ctrl_c_raises):
    cfg = make_config("trainer.max_epochs=3")
    with pytest.raises(SystemExit) as stopped:
        train(cfg, extra_callbacks=[CtrlC()])
    assert stopped.value.code == SIGINT_EXIT
    run_dir = Path(cfg.paths.output_dir)
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "interrupted"
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    # the next run in this process (a notebook's next cell) stops on Ctrl-C again
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


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


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 1 MiB tmpfs (a real full disk); the test skips where mounting is not permitted."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_leaves_the_previous_checkpoint_whole_and_no_temporary_file(small_disk):
    path = small_disk / "last.ckpt"
    save_atomic({"weights": torch.ones(1000)}, path)
    with pytest.raises(OSError) as full:
        save_atomic({"weights": torch.ones(1_000_000)}, path)  # 4 MB on a 1 MiB disk
    assert full.value.errno == errno.ENOSPC
    assert torch.equal(torch.load(path, weights_only=True)["weights"], torch.ones(1000))
    assert [p.name for p in small_disk.iterdir()] == ["last.ckpt"]


class DiskFullAt:
    """``torch.save`` that, from its ``n``-th call, writes half a checkpoint and fails as a full disk does
    (the device's own error: with a real full disk that is `save_atomic`'s write, tested above)."""

    def __init__(self, n: int) -> None:
        self.calls, self.n, self.save = 0, n, torch.save

    def __call__(self, obj, handle, *args, **kwargs) -> None:
        self.calls += 1
        if self.calls < self.n:
            return self.save(obj, handle, *args, **kwargs)
        buffer = io.BytesIO()
        self.save(obj, buffer)
        handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_checkpoint_save_fails_the_run_and_resume_names_the_damage(make_config, monkeypatch):
    cfg = make_config("trainer.max_epochs=3", "logger=none")
    run_dir = Path(cfg.paths.output_dir)
    monkeypatch.setattr(torch, "save", DiskFullAt(3))  # epoch 0 saves best and last; epoch 1 fails
    with pytest.raises(OSError, match="No space left"):
        train(cfg)
    monkeypatch.undo()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "failed" and "No space left on device" in summary["error"]
    checkpoints = run_dir / "checkpoints"
    assert sorted(p.name for p in checkpoints.iterdir()) == ["best.ckpt", "last.ckpt"]  # no temporary file
    assert torch.load(checkpoints / "last.ckpt", weights_only=True)["epoch"] == 0  # the previous one, whole

    # a last.ckpt cut short (as before atomic writes) is named as damaged, with best.ckpt offered
    (run_dir / ".hydra").mkdir()
    (run_dir / ".hydra" / "overrides.yaml").write_text("- trainer.max_epochs=3\n")  # as train.py records
    (checkpoints / "last.ckpt").write_bytes((checkpoints / "last.ckpt").read_bytes()[:5000])
    with pytest.raises(
        DataFormatError, match=r"last\.ckpt: cannot be loaded.*resume from best\.ckpt instead"
    ):
        resume_command(run_dir, Path("train.py"))
    command = resume_command(run_dir, Path("train.py"), [f"ckpt_path={checkpoints / 'best.ckpt'}"])
    assert command[-1] == f"ckpt_path={checkpoints / 'best.ckpt'}"


def test_a_completed_run_directory_is_refused_unless_overwrite_is_asked(make_config):
    cfg = make_config("logger=none", "test=false")
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    best = run_dir / "checkpoints" / "best.ckpt"
    before = (best.stat().st_mtime_ns, (run_dir / "summary.json").read_text())
    with pytest.raises(ConfigError, match=r"holds the completed run 'workout-tcn'.*make resume RUN="):
        train(make_config("logger=none", "test=false", "seed=7"))
    assert (best.stat().st_mtime_ns, (run_dir / "summary.json").read_text()) == before
    train(make_config("logger=none", "test=false", "seed=7", "overwrite=true"))
    assert best.stat().st_mtime_ns != before[0]


class InfiniteTestMetric(L.Callback):
    """What inputs near the float32 limit did to a reference run: an infinite test metric."""

    def on_test_epoch_end(self, trainer, pl_module) -> None:
        pl_module.log("test/rollout_error", float("inf"))


def test_a_non_finite_test_metric_fails_the_run(make_config):
    cfg = make_config("logger=none")
    with pytest.raises(NonFiniteMetricError, match=r"test metric\(s\) not finite: test/rollout_error = inf"):
        train(cfg, extra_callbacks=[InfiniteTestMetric()])
    summary = json.loads((Path(cfg.paths.output_dir) / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["stopped_by"] == "non_finite_test_metric"
    assert summary["test_metrics"]["test/rollout_error"] == float("inf")


class SigtermAtEpochEnd(L.Callback):
    """SIGTERM to this process while epoch 0 ends (Lightning's handler is installed during fit)."""

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if trainer.current_epoch == 0:
            os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_just_past_an_epoch_end_keeps_that_epochs_row(make_config):
    cfg = make_config("trainer.max_epochs=3", "logger=none")
    with pytest.raises(SystemExit) as stopped:
        train(cfg, extra_callbacks=[SigtermAtEpochEnd()])
    assert stopped.value.code == SIGTERM_EXIT
    summary = json.loads((Path(cfg.paths.output_dir) / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    [row] = summary["history"]
    assert row["epoch"] == 0 and "val/loss" in row and "train/loss_epoch" in row
