"""``motionlab sweep`` (``python sweep.py``): an Optuna study (`motionlab.sweep.cli`)."""

from __future__ import annotations

from collections.abc import Sequence

from motionlab.cli.hydra_app import config_dir
from motionlab.sweep.cli import main as sweep_main


def main(argv: Sequence[str]) -> int:
    return sweep_main(argv, config_dir())
