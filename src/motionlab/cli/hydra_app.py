"""Running a verb's Hydra app (train, export, evaluate) on a command line of its own.

``motionlab train x=1`` and ``python train.py x=1`` run the same function: ``argv`` is what Hydra
parses, while ``sys.argv`` stays the whole command during the run, because a DDP launch re-runs
``sys.argv`` for its other processes (Lightning's subprocess launcher), which must start
``motionlab train x=1`` again and not ``motionlab x=1``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import hydra
from omegaconf import DictConfig

import motionlab
from motionlab.errors import ConfigError
from motionlab.suggest import run_with_hints

# configs/ beside src/: the console script runs from the repository's editable install.
CONFIG_DIR = Path(motionlab.__file__).resolve().parents[2] / "configs"


def config_dir() -> Path:
    """The repository's ``configs/``, or a `ConfigError` saying how to get it."""
    if not CONFIG_DIR.is_dir():
        raise ConfigError(
            f"{CONFIG_DIR}: no configs folder — the motionlab command runs from a clone of the repository "
            "installed with `pip install -e .` (make install)"
        )
    return CONFIG_DIR


def run_hydra_app(task: Callable[[DictConfig], object], config_name: str, argv: Sequence[str]) -> int:
    """Run ``task`` as ``@hydra.main`` would on ``configs/<config_name>.yaml`` with the command line
    ``argv`` (Hydra overrides and flags such as ``--help``, ``--cfg job``, ``-m``). Hydra's job name is
    the last part of ``task``'s module name (``motionlab.cli.train`` → ``train``, as for train.py)."""
    whole = list(sys.argv)

    @functools.wraps(task)
    def with_whole_argv(cfg: DictConfig) -> object:
        sys.argv = whole
        return task(cfg)

    app = hydra.main(version_base="1.3", config_path=str(config_dir()), config_name=config_name)(
        with_whole_argv
    )
    sys.argv = [whole[0], *argv]
    try:
        run_with_hints(app, CONFIG_DIR, config_name, argv)
    finally:
        sys.argv = whole
    return 0
