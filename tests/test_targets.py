"""Stored configs build only motionlab's own classes: crafted `_target_`s are refused before they run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from omegaconf import OmegaConf

from motionlab.data.datamodule import MotionDataModule
from motionlab.errors import ConfigError
from motionlab.models.encoders import Encoder, TCNEncoder
from motionlab.runs.sources import load_task, run_source
from motionlab.targets import allowed_class, check_targets
from motionlab.tasks import WorkoutTask
from motionlab.tasks.base import MotionTask, build_encoder
from tests.helpers import REPO, compose_config

SPEC = {"feature_names": ["a", "b"], "window": 8, "fps": 30.0, "class_names": ["x", "y"]}


def writes(path: Path) -> dict:
    """A Hydra config that, if instantiated, writes ``path`` (what a crafted checkpoint tried)."""
    return {"_target_": "pathlib.Path.write_text", "_args_": [str(path), "import os"]}


def crafted_checkpoint(path: Path, encoder: dict) -> Path:
    """A checkpoint with nothing but tensors and plain data (``weights_only=True`` loads it)."""
    hparams = {
        "encoder": encoder,
        "data_spec": SPEC,
        "optimizer": {"name": "adamw", "lr": 1e-3},
        "scheduler": None,
        "monitor": {"metric": "val/loss", "mode": "min"},
    }
    torch.save({"pytorch-lightning_version": "2.6.6", "state_dict": {}, "hyper_parameters": hparams}, path)
    return path


@pytest.mark.parametrize(
    "target",
    [
        "pathlib.Path.write_text",  # outside motionlab
        "motionlab.errors.Path",  # a class motionlab only imports
        "motionlab.training.run.subprocess.Popen",  # an attribute chain through a motionlab module
        "motionlab.runs.sources.load_task",  # a motionlab function, not a class
        "motionlab.tasks.WorkoutTask",  # a motionlab class, but not an encoder
        "motionlab.no_such_module.Encoder",
        None,
    ],
)
def test_only_motionlab_classes_of_the_expected_kind_are_allowed(target):
    with pytest.raises(ConfigError, match="is not a motionlab Encoder class: refused"):
        allowed_class(target, Encoder, "model._target_")


def test_motionlab_classes_and_re_exports_are_allowed():
    assert allowed_class("motionlab.models.encoders.TCNEncoder", Encoder, "model") is TCNEncoder
    assert allowed_class("motionlab.tasks.WorkoutTask", MotionTask, "task") is WorkoutTask
    # Lightning's callback, re-exported in motionlab.training.callbacks.__all__ (configs/callbacks)
    check_targets({"early_stopping": {"_target_": "motionlab.training.callbacks.EarlyStopping"}}, "callbacks")


# Every task `_target_` that checkpoints and run directories made so far store (``task._target_`` of
# config.yaml, the export source): the package name configs use, and the defining module's name.
STORED_TASK_TARGETS = [
    f"motionlab.tasks{module}.{name}"
    for module_name, name in [
        ("classify", "ClassifyTask"),
        ("forecast", "ForecastTask"),
        ("gait", "GaitTask"),
        ("imitation", "ImitationTask"),
        ("workout", "WorkoutTask"),
    ]
    for module in ("", f".{module_name}")
]


@pytest.mark.parametrize("target", STORED_TASK_TARGETS)
def test_task_targets_stored_by_earlier_runs_still_resolve(target):
    task_class = allowed_class(target, MotionTask, "task._target_")
    assert task_class.__name__ == target.rpartition(".")[2]
    assert task_class.__module__ == f"motionlab.tasks.{task_class.__name__.removesuffix('Task').lower()}"


def test_a_module_outside_motionlab_is_never_imported(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "evil_module.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Encoder: ...\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="refused"):
        allowed_class("evil_module.Encoder", Encoder, "model._target_")
    assert not marker.exists() and "evil_module" not in sys.modules


def test_nested_targets_are_checked_before_anything_is_built(tmp_path):
    victim = tmp_path / "written.py"
    nested = {"_target_": "motionlab.models.encoders.TCNEncoder", "channels": writes(victim)}
    with pytest.raises(ConfigError, match=r"model\.channels\._target_: 'pathlib.Path.write_text'"):
        build_encoder(nested, input_dim=2)
    with pytest.raises(ConfigError, match="refused"):
        check_targets({"path": ".", **writes(victim)}, "data", MotionDataModule)
    assert not victim.exists()


@pytest.mark.parametrize("nested", [False, True], ids=["encoder target", "nested target"])
def test_a_crafted_checkpoint_is_refused_and_writes_nothing(tmp_path, nested):
    victim = tmp_path / "sitecustomize.py"
    encoder = (
        {"_target_": "motionlab.models.encoders.MLPEncoder", "hidden_sizes": writes(victim)}
        if nested
        else writes(victim)
    )
    checkpoint = crafted_checkpoint(tmp_path / "crafted.ckpt", encoder)
    with pytest.raises(ConfigError, match="refused"):
        load_task(checkpoint, "motionlab.tasks.WorkoutTask")  # what export, evaluate and ensembles call
    assert not victim.exists()


def crafted_run(tmp_path: Path, checkpoint: Path, data_target: str) -> Path:
    run_dir = tmp_path / "outputs" / "crafted" / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "summary.json").write_text(f'{{"status": "completed", "best_checkpoint": "{checkpoint}"}}')
    config = {"task": {"_target_": "motionlab.tasks.WorkoutTask"}, "data": {"_target_": data_target}}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    return run_dir


def test_a_run_whose_config_names_another_class_is_refused(tmp_path):
    checkpoint = crafted_checkpoint(
        tmp_path / "plain.ckpt", {"_target_": "motionlab.models.encoders.TCNEncoder"}
    )
    with pytest.raises(ConfigError, match=r"data\._target_: 'os\.system' is not a motionlab class: refused"):
        run_source(crafted_run(tmp_path, checkpoint, "os.system"))


@pytest.mark.slow
def test_export_of_a_crafted_checkpoint_exits_with_one_line_and_writes_nothing(tmp_path):
    """``python export.py run=<crafted run>``: a real process, refused before the registry or the data."""
    victim = tmp_path / "sitecustomize.py"
    checkpoint = crafted_checkpoint(tmp_path / "crafted.ckpt", writes(victim))
    run_dir = crafted_run(tmp_path, checkpoint, "motionlab.data.workout.datamodule.WorkoutDataModule")
    registry = tmp_path / "registry"
    command = [sys.executable, "export.py", f"run={run_dir}", f"registry.path={registry}"]
    env = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stderr.strip() == (
        f"error: {checkpoint}: hyper_parameters.encoder._target_: 'pathlib.Path.write_text' is not a "
        "motionlab Encoder class: refused — a config read from a checkpoint, run directory, sweep or "
        "registry may only name motionlab's own classes: is this file from a trusted motionlab run?"
    )
    assert "Traceback" not in done.stdout
    assert not victim.exists() and not registry.exists() and not (run_dir / "export").exists()


def test_a_renamed_class_in_an_older_run_builds_under_its_current_name(tmp_path):
    """Runs written before `motionlab.data.pose` became `motionlab.data.csv_frames` still evaluate."""
    from motionlab.data.csv_frames.datamodule import CsvFramesDataModule
    from motionlab.targets import current_targets, instantiate_allowed

    stored = {
        "_target_": "motionlab.data.pose.datamodule.PoseDataModule",
        "path": None,
        "cache_dir": str(tmp_path),
        "nested": [{"_target_": "motionlab.data.pose.format.PoseColumns"}],
    }
    upgraded = current_targets(stored)
    assert upgraded["_target_"] == "motionlab.data.csv_frames.datamodule.CsvFramesDataModule"
    assert upgraded["nested"][0]["_target_"] == "motionlab.data.csv_frames.format.PoseColumns"
    assert stored["_target_"].startswith("motionlab.data.pose.")  # the stored config is not modified
    old_run = OmegaConf.to_container(
        compose_config(["data=csv"], tmp_path / "logs", tmp_path / "cache").data, resolve=True
    )
    old_run["_target_"] = stored["_target_"]
    built = instantiate_allowed(old_run, MotionDataModule, "data")
    assert isinstance(built, CsvFramesDataModule)
    with pytest.raises(ConfigError, match="refused"):  # a rename never widens what is allowed
        check_targets(current_targets({"_target_": "motionlab.data.pose.os.system"}), "data")
