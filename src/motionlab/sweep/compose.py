"""Composing ``configs/`` through Hydra's compose API, as ``train.py`` would, but without ``hydra.main``.

A sweep composes one train config per trial (in-process, so a trial can take Optuna's pruning hook),
plus its own ``sweep.yaml``. ``${hydra:...}`` interpolations (the run ``name``, the study name) resolve
against the config composed last, so each composition is resolved before the next one starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict


def compose_config(config_dir: Path, name: str, overrides: Sequence[str]) -> DictConfig:
    """``<config_dir>/<name>.yaml`` with ``overrides``, keeping its ``hydra`` node (group choices).

    Leaves it as the current ``HydraConfig`` so that ``${hydra:...}`` interpolations resolve.
    """
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(Path(config_dir).resolve())):
        cfg = compose(name, overrides=list(overrides), return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    return cfg


def run_config(config_dir: Path, overrides: Sequence[str], run_dir: Path) -> DictConfig:
    """The resolved train config of one run that writes to ``run_dir``.

    ``paths.output_dir`` is ``${hydra:runtime.output_dir}`` under ``train.py``; that value does not
    exist under the compose API, so the run directory is set here.
    """
    cfg = compose_config(config_dir, "train", overrides)
    with open_dict(cfg):
        del cfg.hydra
        cfg.paths.output_dir = str(run_dir)
    OmegaConf.resolve(cfg)
    return cfg
