"""A sweep over cross-validated trials: the objective is the folds' mean, pruning watches fold 0."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pytest

from motionlab.errors import ConfigError
from motionlab.sweep.space import SearchSpace
from motionlab.sweep.study import run_sweep
from tests.helpers import CONFIG_DIR
from tests.sweep.test_study import settings_for


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.mark.slow
def test_sweep_objective_is_the_cross_validated_mean_and_prunes_on_fold_0(tmp_path, trial_overrides):
    sweep_dir = tmp_path / "sweeps" / "test"
    settings = settings_for(sweep_dir, "sweep.n_trials=1", "sweep.pruner.name=median")
    space = SearchSpace.parse({"task.optimizer.lr": "choice(1e-3)"})
    study = run_sweep(settings, space, [*trial_overrides, "trainer.max_epochs=2", "cv.folds=2"], CONFIG_DIR)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    trial_dir = Path(trial.user_attrs["run_dir"])
    folds = [read_json(trial_dir / f"fold_{fold}" / "summary.json") for fold in range(2)]
    assert all(f["status"] == "completed" for f in folds)
    assert trial.value == pytest.approx(np.mean([f["best_score"] for f in folds]), rel=1e-12)
    assert read_json(trial_dir / "cv_summary.json")["metrics"]["val/loss"]["mean"] == pytest.approx(
        trial.value
    )
    # only fold 0 reported its validation curve to the pruner
    assert trial.intermediate_values == pytest.approx(
        {r["epoch"]: r["val/loss"] for r in folds[0]["history"]}
    )


def test_a_bad_fold_count_fails_once_before_any_trial(tmp_path, trial_overrides):
    settings = settings_for(tmp_path / "sweeps" / "test", "sweep.n_trials=2")
    space = SearchSpace.parse({"task.optimizer.lr": "choice(1e-3)"})
    with pytest.raises(ConfigError, match=r"cv\.folds: 1 folds"):
        run_sweep(settings, space, [*trial_overrides, "cv.folds=1"], CONFIG_DIR)
    assert not (tmp_path / "sweeps" / "test").exists()
