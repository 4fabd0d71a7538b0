"""The study's trial budget (``sweep.n_trials``) and the trials of workers that died.

A trial whose worker died is failed and queued again with its parameters (``sweep.heartbeat``); the
failed original and its retry are one trial of the budget, so the retry runs even when the budget is
otherwise spent (the failed original stops counting once a retry of it is queued). A worker started
on the same machine as a dead one does not wait for the heartbeat's grace period: a running trial
whose worker process is gone from this host is failed and queued again at once.
"""

from __future__ import annotations

import os
import socket

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial, TrialState

from motionlab.runs.status import process_alive

# Trials that use up the study's budget; RUNNING ones count so that parallel workers do not overshoot
# it. WAITING ones (queued retries) do not: they have not run yet.
COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)


def counted_trials(trials: list[FrozenTrial]) -> int:
    """Trials that use up the budget: failed trials whose retry is queued or ran are left out."""
    retried = {number for t in trials for number in t.system_attrs.get("retry_history", [])}
    return sum(
        t.state in COUNTED and not (t.state == TrialState.FAIL and t.number in retried) for t in trials
    )


class TrialBudget:
    """Optuna callback: stop the study once `counted_trials` reaches ``n_trials``."""

    def __init__(self, n_trials: int) -> None:
        self.n_trials = n_trials

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if counted_trials(study.get_trials(deepcopy=False)) >= self.n_trials:
            study.stop()


def worker_name() -> str:
    """How a trial records the worker that runs it (``user_attrs["worker"]``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def retry_dead_local_trials(study: optuna.Study, max_retry: int | None) -> list[int]:
    """Fail the running trials whose worker was a process of this host that is gone, and queue them
    again (up to ``max_retry`` times, as the heartbeat does); returns their numbers."""
    retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retry)
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        host, _, pid = str(trial.user_attrs.get("worker", "")).rpartition(":")
        if not pid.isdigit() or process_alive({"host": host, "pid": int(pid)}) is not False:
            continue
        try:
            if study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                retry(study, study._storage.get_trial(trial._trial_id))
                failed.append(trial.number)
        except UpdateFinishedTrialError:  # another worker got there first
            continue
    return failed
