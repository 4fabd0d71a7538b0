"""Optuna hyperparameter sweeps — not implemented yet (see the sweeps issue)."""

import sys

if __name__ == "__main__":
    sys.exit("sweep.py: not implemented yet — Optuna sweeps land with the sweeps issue")
