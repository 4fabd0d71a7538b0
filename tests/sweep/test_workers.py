"""Several processes on one study: a worker killed mid-trial, and two workers at once (SQLite storage)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from motionlab.sweep.cli import load_sweep, main
from motionlab.sweep.study import make_storage
from tests.helpers import CONFIG_DIR, REPO

pytestmark = pytest.mark.slow

# Heartbeats every second; a trial silent for 2 s belongs to a dead worker.
FAST_HEARTBEAT = ["sweep.heartbeat.interval=1", "sweep.heartbeat.grace_period=2"]


def sweep_args(
    sweep_dir: Path, n_trials: int, trial_overrides: list[str], heartbeat: list[str] = FAST_HEARTBEAT
) -> list[str]:
    """The real command line: the workout search file, trials shrunk by train.py overrides."""
    return [
        "search=workout_tcn",
        f"sweep.dir={sweep_dir}",
        f"sweep.n_trials={n_trials}",
        "sweep.pruner.name=none",
        *heartbeat,
        *trial_overrides,
    ]


def start_worker(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "sweep.py", *args], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_for(study_dir: Path, ready, worker: subprocess.Popen, log: Path, timeout: float = 180) -> list:
    """Poll the study's database until ``ready(trials)``; returns those trials."""
    storage = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"worker exited early:\n{log.read_text()[-3000:]}"
        # open the database only once the worker has created it (its log names the study)
        if storage is None and "trials so far" in log.read_text():
            storage = optuna.storages.RDBStorage(f"sqlite:///{study_dir / 'study.db'}")
        if storage is not None:
            trials = optuna.load_study(study_name="workout_tcn", storage=storage).get_trials()
            if ready(trials):
                return trials
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for the study:\n{log.read_text()[-3000:]}")


def load_trials(study_dir: Path) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(
        study_name="workout_tcn", storage=f"sqlite:///{study_dir / 'study.db'}"
    ).get_trials()


def test_a_killed_worker_leaves_completed_trials_and_a_restart_retries_its_trial(tmp_path, trial_overrides):
    study_dir = tmp_path / "study"
    log = tmp_path / "worker.log"
    worker = start_worker(sweep_args(study_dir, 50, trial_overrides), log)

    def one_done_one_training(trials) -> bool:
        running = [t for t in trials if t.state == TrialState.RUNNING]
        training = [t for t in running if (study_dir / f"trial_{t.number}" / "summary.json").is_file()]
        return any(t.state == TrialState.COMPLETE for t in trials) and bool(training)

    try:
        wait_for(study_dir, one_done_one_training, worker, log)
    finally:
        worker.send_signal(signal.SIGKILL)  # no cleanup of any kind: like a lost machine
        worker.wait()
    before = load_trials(study_dir)
    done = [t for t in before if t.state == TrialState.COMPLETE]
    (killed,) = [t for t in before if t.state == TrialState.RUNNING]
    summaries = {
        t.number: (study_dir / f"trial_{t.number}" / "summary.json").stat().st_mtime_ns for t in done
    }
    # the same command at once, with a grace period the killed trial's heartbeat is still within: its
    # worker was a process of this machine and is gone, so it is failed and queued again now; the
    # budget is the trials the study holds, the killed trial and its retry counting once
    within_grace = ["sweep.heartbeat.interval=1", "sweep.heartbeat.grace_period=600"]
    assert main(sweep_args(study_dir, len(before), trial_overrides, within_grace), CONFIG_DIR) == 0

    after = load_trials(study_dir)
    assert [t.number for t in after] == list(range(len(before) + 1))
    for old in done:  # completed trials are kept as they were, not run again
        assert after[old.number].state == TrialState.COMPLETE and after[old.number].value == old.value
        assert (study_dir / f"trial_{old.number}" / "summary.json").stat().st_mtime_ns == summaries[
            old.number
        ]
    assert after[killed.number].state == TrialState.FAIL
    retry = after[-1]
    assert retry.state == TrialState.COMPLETE
    assert retry.system_attrs["failed_trial"] == killed.number and retry.params == killed.params
    assert retry.user_attrs["run_dir"] == str(study_dir / f"trial_{retry.number}")
    assert (study_dir / "best.json").is_file()


def test_two_workers_on_one_study_share_its_trials_without_duplicate_numbers(tmp_path, trial_overrides):
    study_dir = tmp_path / "study"
    log = tmp_path / "worker.log"
    args = sweep_args(study_dir, 4, trial_overrides)
    worker = start_worker(args, log)
    try:
        wait_for(study_dir, lambda trials: any(t.state == TrialState.RUNNING for t in trials), worker, log)
        assert main(args, CONFIG_DIR) == 0  # a second worker, in this process, while the first one runs
        assert worker.wait(timeout=180) == 0, log.read_text()[-3000:]
    finally:
        worker.kill()

    trials = load_trials(study_dir)
    # 4, or 5 when both workers started a trial at the same moment as the 4th
    assert 4 <= len(trials) <= 5
    assert [t.number for t in trials] == list(range(len(trials)))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.user_attrs["run_dir"] for t in trials}) == len(trials)
    assert len({t.user_attrs["worker"] for t in trials}) == 2  # both did some of the work
    # the worker that created the study recorded its command; the second one left it as it was
    study = optuna.load_study(study_name="workout_tcn", storage=f"sqlite:///{study_dir / 'study.db'}")
    assert study.user_attrs["command"] == shlex.join(["python", "sweep.py", *args])
    assert study.metric_names == ["val/loss"]


def open_storage_at_once(settings, workers: int) -> list[Exception]:
    """``workers`` threads open the study's storage at the same moment; returns their errors."""
    start = threading.Barrier(workers)
    errors: list[Exception] = []

    def open_storage() -> None:
        start.wait()
        try:
            make_storage(settings)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=open_storage) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.parametrize("attempt", range(3))
def test_workers_opening_a_new_study_database_at_the_same_moment_all_get_in(tmp_path, attempt):
    """They race to create its tables; without make_storage's retries this failed 10 times out of 10."""
    settings, _ = load_sweep(CONFIG_DIR, [f"sweep.dir={tmp_path}"])
    assert open_storage_at_once(settings, workers=4) == []
