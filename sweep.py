"""Optuna hyperparameter search: ``python sweep.py search=workout_tcn`` (see docs/sweeps.md), the same as
``motionlab sweep search=workout_tcn`` (`motionlab.cli.sweep`)."""

import sys

from motionlab.cli.sweep import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
