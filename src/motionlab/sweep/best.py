"""A study's best trial as files in ``<sweep.dir>/``.

- ``best.json``: the pointer other tools read (``make export``): study, trial, value, params, run_dir,
  best_checkpoint.
- ``best_params.yaml``: the best parameters, the monitored metric and the full list of overrides that
  reproduces the trial (``python train.py <overrides>``).
- ``best_experiment.yaml``: the trial's complete config as an experiment file. It is written here and
  not into ``configs/`` (a sweep should not edit the source tree); one ``cp`` installs it.
"""

from __future__ import annotations

from pathlib import Path

import optuna
import yaml
from omegaconf import DictConfig, OmegaConf
from optuna.trial import TrialState

from motionlab.files import write_json_atomic, write_text_atomic
from motionlab.runs.layout import BEST_EXPERIMENT, BEST_PARAMS, SWEEP_BEST
from motionlab.sweep.compose import compose_config

BEST_FILES = (SWEEP_BEST, BEST_PARAMS, BEST_EXPERIMENT)
# Not part of a recipe: Hydra's own settings and the machine's paths (data, outputs).
MACHINE_SECTIONS = ("hydra", "paths")
# Groups whose choice is not repeated in the experiment's defaults: their values are already folded
# into the written config (experiment, debug) or belong to the machine (hydra, paths).
FOLDED_GROUPS = ("hydra", "paths", "experiment", "debug")


def experiment_name(study_name: str) -> str:
    return f"{study_name}_best"


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The study's best completed trial; None while no trial has completed."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    return study.best_trial


def write_best(study: optuna.Study, sweep_dir: Path, config_dir: Path) -> optuna.trial.FrozenTrial | None:
    """Write the best-trial files; returns the best trial, or None while no trial has completed."""
    best = best_trial(study)
    if best is None:
        return None
    overrides = list(best.user_attrs.get("overrides", []))
    cfg = compose_config(config_dir, "train", overrides)
    write_json_atomic(
        sweep_dir / SWEEP_BEST,
        {
            "study": study.study_name,
            "trial": best.number,
            "value": best.value,
            "params": best.params,
            "run_dir": best.user_attrs.get("run_dir"),
            "best_checkpoint": best.user_attrs.get("best_checkpoint"),
        },
    )
    params = {
        "study": study.study_name,
        "trial": best.number,
        "value": best.value,
        "monitor": OmegaConf.to_container(cfg.monitor, resolve=True),
        "params": best.params,
        "overrides": overrides,
    }
    write_text_atomic(sweep_dir / BEST_PARAMS, yaml.safe_dump(params, sort_keys=False))
    header = (
        f"Best trial {best.number} of study {study.study_name}: "
        f"{cfg.monitor.metric} = {best.value:.6g} ({cfg.monitor.mode}). Written by sweep.py."
    )
    write_text_atomic(
        sweep_dir / BEST_EXPERIMENT, experiment_yaml(cfg, experiment_name(study.study_name), header)
    )
    return best


def experiment_yaml(cfg: DictConfig, name: str, header: str) -> str:
    """``cfg`` (composed with its ``hydra`` node, unresolved) as the experiment file ``name``.

    Its defaults select the same config groups, and its body pins every value, so
    ``python train.py experiment=<name>`` composes the same config (paths and run name aside).
    Interpolations stay unresolved: checkpoints go to the new run's directory, not the trial's.
    """
    choices = OmegaConf.to_container(cfg.hydra.runtime.choices)
    defaults = [
        {f"override /{group}": choice}
        for group, choice in choices.items()
        if "/" not in group and group not in FOLDED_GROUPS and choice is not None
    ]
    body = {
        key: value
        for key, value in OmegaConf.to_container(cfg, resolve=False).items()
        if key not in MACHINE_SECTIONS
    }
    body["name"] = name
    lines = [
        "# @package _global_",
        f"# {header}",
        f"#   python train.py experiment={name}",
        "# Command-line overrides still win over these values.",
    ]
    return "\n".join(lines) + "\n" + yaml.safe_dump({"defaults": defaults, **body}, sort_keys=False)


def report_lines(study: optuna.Study, sweep_dir: Path) -> list[str]:
    """A few lines for the terminal: trial counts, the best trial and how to use it."""
    best = best_trial(study)
    counts = {state: len(study.get_trials(deepcopy=False, states=(state,))) for state in TrialState}
    tally = ", ".join(f"{n} {state.name.lower()}" for state, n in counts.items() if n)
    if best is None:
        return [f"study {study.study_name}: {tally or 'no trials'}; no completed trial yet"]
    name = experiment_name(study.study_name)
    return [
        f"study {study.study_name}: {tally}",
        f"best trial {best.number}: value {best.value:.6g}",
        f"  params  {_format_params(best.params)}",
        f"  run     {best.user_attrs.get('run_dir')}",
        f"  ckpt    {best.user_attrs.get('best_checkpoint')}",
        f"  files   {', '.join(str(sweep_dir / f) for f in BEST_FILES)}",
        "install the best trial as an experiment:",
        f"  cp {sweep_dir / BEST_EXPERIMENT} configs/experiment/{name}.yaml",
        f"  python train.py experiment={name}",
    ]


def _format_params(params: dict) -> str:
    text = (
        f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in params.items()
    )
    return " ".join(text) or "(none searched)"
