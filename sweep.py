"""Optuna hyperparameter search: ``python sweep.py search=workout_tcn`` (see docs/sweeps.md)."""

import sys
from pathlib import Path

from motionlab.sweep.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], Path(__file__).resolve().parent / "configs"))
