"""``python sweep.py``: the sweep driver's command line.

Arguments are Hydra overrides, sorted by what they address: ``search=<file in configs/search/>`` and
``sweep.…`` configure the sweep (``configs/sweep.yaml``); everything else is a train.py override
applied to every trial.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf

from motionlab.errors import ConfigError
from motionlab.exits import SIGINT_EXIT, signal_exit_status
from motionlab.sweep.best import report_lines, write_best
from motionlab.sweep.compose import compose_config
from motionlab.sweep.space import SearchSpace
from motionlab.sweep.study import open_study, run_sweep

USAGE = """\
usage: motionlab sweep [search=NAME] [sweep.KEY=VALUE ...] [TRAIN_OVERRIDE ...]

  search=NAME          the search space configs/search/NAME.yaml (default: see configs/sweep.yaml)
  sweep.KEY=VALUE      study settings: sweep.study, sweep.storage, sweep.n_trials, sweep.timeout,
                       sweep.pruner.name=median|successive_halving|hyperband|none, sweep.sampler.seed, ...
  sweep.report_only=true   only (re)write the best-trial files of the stored study
  TRAIN_OVERRIDE       any train.py override, applied to every trial (trainer=gpu data.batch_size=256);
                       a searched key set here is fixed instead of searched

Run the same command again to continue a study; run it in several shells to add workers.
`python sweep.py` takes the same arguments.
"""
SWEEP_PREFIXES = ("search=", "sweep.", "+sweep.", "++sweep.")


def split_arguments(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(overrides of sweep.yaml, overrides of train.yaml for every trial)."""
    sweep = [a for a in argv if a.startswith(SWEEP_PREFIXES)]
    return sweep, [a for a in argv if not a.startswith(SWEEP_PREFIXES)]


def load_sweep(config_dir: Path, overrides: Sequence[str]) -> tuple[DictConfig, SearchSpace]:
    """``configs/sweep.yaml`` with ``overrides``: the resolved ``sweep`` settings and the search space.

    The settings also name the search file and hold its params as written (``search.file``,
    ``search.params``), which describe the study in its storage.
    """
    cfg = compose_config(config_dir, "sweep", overrides)
    settings = OmegaConf.create(OmegaConf.to_container(cfg.sweep, resolve=True))
    params = OmegaConf.to_container(cfg.search.params, resolve=True)
    search_file = f"configs/search/{cfg.hydra.runtime.choices.search}.yaml"
    settings.search = {"file": search_file, "params": params}
    return settings, SearchSpace.parse(params, where=f"{search_file}: params")


def main(argv: Sequence[str], config_dir: Path) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return 0
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s")
    sweep_args, train_args = split_arguments(argv)
    try:
        settings, space = load_sweep(config_dir, sweep_args)
        if settings.report_only:
            study = open_study(settings)
            write_best(study, Path(settings.dir), config_dir)
        else:
            study = run_sweep(settings, space, train_args, config_dir, argv=argv)
    except (ConfigError, HydraException) as error:
        print(f"sweep.py: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        return signal_exit_status(stop) or SIGINT_EXIT
    print("\n".join(report_lines(study, Path(settings.dir))))
    return 0
