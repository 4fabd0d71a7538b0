"""Workers on several machines share a study through a database server or a journal file on a shared
filesystem: two workers on one study (a ``sweep.py`` process and one in this process), the process
killed with SIGKILL mid-trial (a lost machine); the other finishes the study and runs the killed
trial's parameters again."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import optuna
import pytest
from omegaconf import DictConfig
from optuna.trial import TrialState

from motionlab.sweep.cli import load_sweep, main
from motionlab.sweep.storage import make_storage
from tests.helpers import CONFIG_DIR
from tests.sweep.test_workers import start_worker

pytestmark = pytest.mark.slow

N_TRIALS = 5


@pytest.fixture(params=["postgresql", "journal"])
def storage_url(request, tmp_path) -> str:
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"journal:///{tmp_path / 'shared' / 'study.journal'}"


def sweep_settings(args: list[str]) -> DictConfig:
    return load_sweep(CONFIG_DIR, [a for a in args if a.startswith(("search=", "sweep."))])[0]


def load_study(settings: DictConfig) -> optuna.Study:
    return optuna.load_study(study_name=settings.study, storage=make_storage(settings))


def test_a_worker_killed_mid_trial_loses_no_trial_of_the_shared_study(storage_url, tmp_path, trial_overrides):
    study_dir = tmp_path / "study"
    args = [
        "search=workout_tcn",
        f"sweep.study=shared_{uuid.uuid4().hex[:8]}",
        f"sweep.storage={storage_url}",
        f"sweep.dir={study_dir}",
        f"sweep.n_trials={N_TRIALS}",
        "sweep.pruner.name=none",
        "sweep.heartbeat.interval=1",
        "sweep.heartbeat.grace_period=2",
        *trial_overrides,
    ]
    settings = sweep_settings(args)  # composed here: Hydra's compose is not for threads
    log = tmp_path / "doomed.log"
    doomed = start_worker(args, log)
    killed: list[int] = []
    try:
        wait_until(lambda: "trials so far" in log.read_text(), doomed, log)  # it has opened the study
        killer = threading.Thread(target=kill_when_training, args=(doomed, settings, study_dir, killed, log))
        killer.start()
        assert main(args, CONFIG_DIR) == 0  # the second worker, in this process, beside the first
        killer.join()
    finally:
        doomed.kill()
    [killed] = killed

    trials = load_study(settings).get_trials()
    assert [t.number for t in trials] == list(range(len(trials)))
    assert trials[killed].state == TrialState.FAIL  # failed by the survivor, from the stale heartbeat
    [retry] = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
    assert retry.state == TrialState.COMPLETE and retry.params == trials[killed].params
    assert all(t.state == TrialState.COMPLETE for t in trials if t.number != killed)
    # the killed original stops counting once its retry is queued (motionlab.sweep.budget): the budget
    # is N_TRIALS trials that ran to the end, plus the failed original on record
    assert len(trials) == N_TRIALS + 1 and Path(retry.user_attrs["run_dir"], "summary.json").is_file()


def wait_until(ready, worker: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while not ready():
        assert worker.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


def kill_when_training(
    worker: subprocess.Popen, settings: DictConfig, study_dir: Path, killed: list[int], log: Path
) -> None:
    """SIGKILL ``worker`` while it trains a trial (its run has a summary.json); records the trial."""

    storage = make_storage(settings)  # one connection for the polling, not one per poll

    def training() -> bool:
        study = optuna.load_study(study_name=settings.study, storage=storage)
        for trial in study.get_trials(states=(TrialState.RUNNING,)):
            mine = trial.user_attrs.get("worker", "").endswith(f":{worker.pid}")
            if mine and (study_dir / f"trial_{trial.number}" / "summary.json").is_file():
                killed.append(trial.number)
                return True
        return False

    wait_until(training, worker, log)
    worker.send_signal(signal.SIGKILL)  # no cleanup of any kind: like a lost machine
    worker.wait()
