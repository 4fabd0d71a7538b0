"""A failed trial and its retry are one trial of the budget; a failed trial never retried counts."""

from __future__ import annotations

import optuna
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from motionlab.sweep.budget import counted_trials


def test_a_failed_trial_and_its_retry_count_once():
    study = optuna.create_study()
    space = {"lr": FloatDistribution(0.0, 1.0)}

    def add(state, **system_attrs):
        value = 0.5 if state == TrialState.COMPLETE else None
        trial = create_trial(state=state, params={"lr": 0.1}, distributions=space, value=value)
        trial._system_attrs.update(system_attrs)
        study.add_trial(trial)

    add(TrialState.COMPLETE)  # 0
    add(TrialState.FAIL)  # 1: its worker died, retried as 3, which failed too and is retried as 4
    add(TrialState.FAIL)  # 2: failed, never retried: counts
    add(TrialState.FAIL, failed_trial=1, retry_history=[1])  # 3
    add(TrialState.WAITING, failed_trial=1, retry_history=[1, 3])  # 4: queued, not run yet
    assert counted_trials(study.get_trials()) == 2
    add(TrialState.COMPLETE, failed_trial=2, retry_history=[2])  # 5: 2's retry ran
    assert counted_trials(study.get_trials()) == 2
