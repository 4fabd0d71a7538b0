"""Optuna hyperparameter sweeps over the train config: search spaces, the study driver, pruning and
the best trial's files. ``sweep.py`` is the command line; ``run_sweep`` the function behind it."""

from motionlab.sweep.best import write_best
from motionlab.sweep.space import SearchSpace
from motionlab.sweep.study import open_study, run_sweep

__all__ = ["SearchSpace", "open_study", "run_sweep", "write_best"]
