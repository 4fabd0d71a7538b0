"""The data a model is evaluated on: its run's data config, optionally changed, checked against the
model, and the windows of the chosen split(s).

A model fixes what its input and output mean (feature columns in order, frame rate, window, class
vocabulary); other data is fine as long as those agree. A data config that encodes labels with
whatever classes it finds (``classes: null``) is given the model's classes, so labels are encoded
with the model's indices and an unknown label stops the reading with the reader's own error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from motionlab.data.datamodule import MotionDataModule
from motionlab.data.splits import SPLITS
from motionlab.data.windows import WindowSet, concat_window_sets
from motionlab.errors import ConfigError
from motionlab.targets import instantiate_allowed
from motionlab.tasks.base import MotionTask

ALL = "all"
EVALUATION_SPLITS = (*SPLITS, ALL)


def evaluation_data_config(
    run_data: DictConfig, overrides: Mapping[str, Any] | None, task: MotionTask
) -> DictConfig:
    """The run's resolved data config with ``overrides`` merged in; ``classes: null`` becomes the
    model's class names."""
    merged = OmegaConf.merge(run_data, OmegaConf.create(dict(overrides or {})))
    if "classes" in merged and merged.classes is None and task.spec.class_names:
        merged.classes = list(task.spec.class_names)
    return merged


def load_evaluation_data(data_config: DictConfig, task: MotionTask) -> MotionDataModule:
    """The datamodule of ``data_config``, set up and checked to fit ``task``."""
    datamodule: MotionDataModule = instantiate_allowed(data_config, MotionDataModule, "data", _convert_="all")
    datamodule.prepare_data()
    datamodule.setup("test")
    check_data_fits(datamodule, task)
    return datamodule


def check_data_fits(datamodule: MotionDataModule, task: MotionTask) -> None:
    """Raise a `ConfigError` naming what differs between the data and what the model was trained on."""
    data, model = datamodule.spec, task.spec
    source = datamodule.describe_source()
    if list(data.feature_names) != list(model.feature_names):
        missing = [n for n in model.feature_names if n not in data.feature_names]
        extra = [n for n in data.feature_names if n not in model.feature_names]
        problem = (
            f"missing {missing}, extra {extra}" if missing or extra else "the same columns in another order"
        )
        raise ConfigError(
            "data",
            f"the features of {source} differ from the model's ({problem})",
            "evaluate on data with the model's feature columns (data.columns.features for CSVs), or "
            "train a model on this data",
        )
    if data.fps != model.fps:
        raise ConfigError(
            "data",
            f"{source} is at {data.fps} fps, the model was trained at {model.fps} fps",
            "resample the data to the model's frame rate (or set the data's fps if it is wrong)",
        )
    if list(data.class_names) != list(model.class_names):
        unknown = [n for n in data.class_names if n not in model.class_names]
        raise ConfigError(
            "data",
            f"the classes of {source} {list(data.class_names)} differ from the model's "
            f"{list(model.class_names)}" + (f": {unknown} unknown to the model" if unknown else ""),
            "evaluate on data labelled with the model's classes (set the data config's classes to them)",
        )
    if data.window != model.window:
        raise ConfigError(
            "data.window",
            f"is {data.window} frames, the model takes {model.window}",
            "leave the data's window as the run had it",
        )


def split_windows(datamodule: MotionDataModule, split: str) -> WindowSet:
    """The windows of ``split`` (``train``, ``val``, ``test``) or of all three in that order (``all``)."""
    if split not in EVALUATION_SPLITS:
        raise ConfigError("split", f"unknown split {split!r}", f"use one of {list(EVALUATION_SPLITS)}")
    if split == ALL:
        return concat_window_sets([datamodule.windows[name] for name in SPLITS])
    return datamodule.windows[split]
