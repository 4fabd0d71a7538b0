"""Every config group composes, and every `_target_` points into motionlab."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from motionlab.data import formats
from tests.helpers import CONFIG_DIR, compose_config


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def targets(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["_target_"]] if "_target_" in node else []
        return found + [t for value in node.values() for t in targets(value)]
    if isinstance(node, list):
        return [t for value in node for t in targets(value)]
    return []


@pytest.mark.parametrize(
    "path", sorted(CONFIG_DIR.rglob("*.yaml")), ids=lambda p: str(p.relative_to(CONFIG_DIR))
)
def test_every_target_points_into_motionlab(path: Path):
    for target in targets(yaml.safe_load(path.read_text()) or {}):
        assert target.startswith("motionlab."), f"{path}: _target_ {target}"


@pytest.mark.parametrize(("data", "model"), list(itertools.product(formats(), options("model"))))
def test_every_data_model_pair_composes(data, model, tmp_path):
    cfg = compose_config([f"data={data}", f"model={model}"], tmp_path, tmp_path / "cache")
    resolved = OmegaConf.to_container(cfg, resolve=True)
    assert resolved["name"] == f"{data}-{model}"
    assert resolved["task"]["_target_"].startswith("motionlab.tasks.")


def test_a_run_composed_from_groups_and_the_experiment_do_not_share_a_name(tmp_path):
    """``data=workout`` (model tcn by default) and ``experiment=workout_tcn`` land in different folders
    and register as different models."""
    composed = compose_config(["data=workout"], tmp_path, tmp_path / "cache")
    experiment = compose_config(["experiment=workout_tcn"], tmp_path, tmp_path / "cache")
    assert (composed.name, experiment.name) == ("workout-tcn", "workout_tcn")
    assert Path(composed.paths.output_dir).parent != Path(experiment.paths.output_dir).parent


@pytest.mark.parametrize(
    "group", ["trainer", "debug", pytest.param("experiment", marks=pytest.mark.slow), "logger", "callbacks"]
)
def test_every_option_of_a_group_composes(group, tmp_path):
    for option in options(group):
        cfg = compose_config([f"{group}={option}"], tmp_path, tmp_path / "cache", run=option)
        OmegaConf.to_container(cfg, resolve=True)


def test_monitor_is_defined_once_and_reused(tmp_path):
    cfg = compose_config(["monitor.metric=val/f1", "monitor.mode=max"], tmp_path, tmp_path / "cache")
    assert cfg.callbacks.model_checkpoint.monitor == "val/f1"
    assert cfg.callbacks.model_checkpoint.mode == "max"
    assert cfg.callbacks.early_stopping.monitor == "val/f1"
    assert cfg.callbacks.early_stopping.mode == "max"


def test_an_experiment_overrides_the_top_level_settings_and_the_command_line_wins(tmp_path):
    cfg = compose_config(["experiment=reference_mlp"], tmp_path, tmp_path / "cache")
    assert cfg.monitor.metric == "val/rollout_error"  # train.yaml says val/loss
    overrides = ["experiment=reference_mlp", "monitor.metric=val/mae", "seed=3"]
    cfg = compose_config(overrides, tmp_path, tmp_path / "cache")
    assert cfg.monitor.metric == "val/mae" and cfg.seed == 3
