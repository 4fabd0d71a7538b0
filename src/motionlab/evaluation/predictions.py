"""Per-window predictions as a table: one row per window, saved as CSV or Parquet.

Columns, in order:

* ``split``, ``recording`` (the recording's id), ``group`` (the unit splits keep together: subject,
  session, runner, clip);
* ``start_frame`` / ``end_frame`` (exclusive): the window's frames in the recording as read (a piece
  cut out at a long gap counts from the start of its recording), and ``start_time_s`` / ``end_time_s``:
  the recording's timestamps of those frames where it has them, else frame / fps; the end is the end
  of the last frame (its start + 1 / fps). The window is the engine's: for forecasting and imitation
  it ends with the target frame;
* the model's app-facing outputs (`MotionTask.predict_outputs`), one column per value:
  ``<output>`` for one value per window, ``<output>/<name>`` along a named last axis (classes,
  features, joints; `MotionTask.output_labels`) and numbered otherwise (``rep_start_prob/07``: frame 7);
* the targets the datamodule gives each window, named alike with a ``true_`` prefix (a target shaped
  like a named output takes its names), plus ``true_<class target>_name`` with the class's name.

The model runs on batches of windows gathered in one tensor operation each, as in `trainer.test`.

For a window classifier, `recording_table` gives one row per labelled segment (a recording's run of
one label: the recording itself when it holds one activity): ``split``, ``recording``, ``group``,
``start_frame`` / ``end_frame`` of the segment's windows, ``windows``, ``true_class``,
``predicted_class`` (highest mean probability), ``majority_vote_class`` and the mean probability of
each class, ``<output>/<class>``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet
import torch
from torch import Tensor

from motionlab.data.datamodule import MotionDataModule
from motionlab.data.windows import RECORDING_INDEX, WindowSet
from motionlab.errors import ConfigError
from motionlab.tasks.base import MotionTask
from motionlab.tasks.common.classification_metrics import labelled_segments, recording_predictions

FORMATS = ("csv", "parquet")
TARGET_PREFIX = "true_"


@torch.no_grad()
def predict_windows(
    task: MotionTask, datamodule: MotionDataModule, windows: WindowSet, batch_size: int
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """The task's app outputs that prediction files carry (`Output.tabulated`) and the batch targets
    of every window of ``windows``, on the CPU (each answer as `trainer.test` gives it: after
    `MotionTask.prepare_evaluation` on these windows)."""
    outputs: list[dict[str, Tensor]] = []
    targets: list[dict[str, Tensor]] = []
    tabulated = {out.app for out in task.declare_outputs() if out.tabulated}
    task.prepare_evaluation(windows, datamodule.recording_groups(windows.recordings))
    for index in torch.arange(len(windows)).split(batch_size):
        batch = {key: value.to(task.device) for key, value in windows.gather(index).items()}
        batch = datamodule.on_after_batch_transfer(batch, 0)
        which = windows.recording_index[index].to(task.device)
        raw = task.batch_outputs({**batch, RECORDING_INDEX: which})
        app = task.app_outputs(raw, batch["x"])
        outputs.append({key: value.cpu() for key, value in app.items() if key in tabulated})
        targets.append({key: value.cpu() for key, value in batch.items() if key != "x"})
    return _concatenated(outputs), _concatenated(targets)


def prediction_table(
    windows: WindowSet,
    split: Sequence[str],
    outputs: Mapping[str, Tensor],
    targets: Mapping[str, Tensor],
    labels: Mapping[str, Sequence[str]],
    class_target: tuple[str, Sequence[str]] | None = None,
    groups: Sequence[str] | None = None,
) -> pa.Table:
    """The table described in the module docstring. ``split``: each window's split; ``labels``: the
    task's `output_labels`; ``class_target``: the class target's key and class names, if any;
    ``groups``: as `window_positions` takes them."""
    columns: dict[str, np.ndarray] = {
        "split": np.asarray(split),
        **window_positions(windows, groups),
    }
    shapes = {tuple(value.shape[1:]): labels[name] for name, value in outputs.items() if name in labels}
    for name, value in outputs.items():
        columns.update(flat_columns(name, value.numpy(), labels.get(name)))
    for name, value in targets.items():
        columns.update(flat_columns(TARGET_PREFIX + name, value.numpy(), shapes.get(tuple(value.shape[1:]))))
    if class_target is not None and class_target[0] in targets:
        key, class_names = class_target
        columns[f"{TARGET_PREFIX}{key}_name"] = np.asarray(class_names)[targets[key].numpy()]
    return pa.table(columns)


def window_positions(windows: WindowSet, groups: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Recording id, group, frames and times of every window (see the module docstring). ``groups``:
    the split group of each recording (`MotionDataModule.recording_groups`); default: the reader's
    ``Recording.group``."""
    recordings = windows.recordings
    if groups is None:
        groups = [r.group for r in recordings]
    which = windows.recording_index.numpy()
    lengths = np.array([len(r) for r in recordings], dtype=np.int64)
    recording_start = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    first_frame = np.array([int(r.meta.get("first_frame", 0)) for r in recordings], dtype=np.int64)
    start = windows.starts.numpy() - recording_start[which] + first_frame[which]
    end = start + windows.window
    period = 1.0 / np.array([r.fps for r in recordings], dtype=np.float64)[which]
    start_time, end_time = start * period, end * period
    for index, recording in enumerate(recordings):
        times = recording.meta.get("time")
        if times is not None:
            chosen = which == index
            start_time[chosen] = times[start[chosen]]
            end_time[chosen] = times[end[chosen] - 1] + period[chosen]
    return {
        "recording": np.array([r.name for r in recordings])[which],
        "group": np.asarray(groups, dtype=str)[which],
        "start_frame": start,
        "end_frame": end,
        "start_time_s": start_time,
        "end_time_s": end_time,
    }


def recording_table(
    windows: WindowSet,
    split: Sequence[str],
    output: str,
    probs: Tensor,
    labels: Tensor,
    class_names: Sequence[str],
    groups: Sequence[str] | None = None,
) -> pa.Table:
    """One row per labelled segment of ``windows`` (see the module docstring) from the windows' class
    probabilities ``probs [M, C]`` (the output named ``output``) and class indices ``labels [M]``;
    ``groups`` as `window_positions` takes them."""
    labels_np = labels.numpy()
    segments = labelled_segments(windows.recording_index.numpy(), labels_np)
    recordings = recording_predictions(probs.numpy(), segments, labels_np)
    first = np.flatnonzero(np.diff(segments, prepend=-1))
    last = np.append(first[1:], len(segments)) - 1
    positions = window_positions(windows, groups)
    names = np.asarray(class_names)
    return pa.table(
        {
            "split": np.asarray(split)[first],
            "recording": positions["recording"][first],
            "group": positions["group"][first],
            "start_frame": positions["start_frame"][first],
            "end_frame": positions["end_frame"][last],
            "windows": recordings.windows,
            "true_class": names[recordings.labels],
            "predicted_class": names[recordings.predicted],
            "majority_vote_class": names[recordings.voted],
            **flat_columns(output, recordings.scores, class_names),
        }
    )


def flat_columns(name: str, values: np.ndarray, labels: Sequence[str] | None) -> dict[str, np.ndarray]:
    """``values [M, ...]`` as one column per value: ``name`` or ``name/<axis entries>`` (see above)."""
    if values.ndim == 1:
        return {name: values}
    axes = [[f"{i:0{len(str(size - 1))}d}" for i in range(size)] for size in values.shape[1:]]
    if labels is not None and len(labels) == values.shape[-1]:
        axes[-1] = list(labels)
    rows = values.reshape(len(values), -1)
    return {f"{name}/{'/'.join(parts)}": rows[:, j] for j, parts in enumerate(itertools.product(*axes))}


def write_table(table: pa.Table, path: Path, file_format: str) -> Path:
    """``table`` as ``<path>.<format>``."""
    if file_format not in FORMATS:
        raise ConfigError(
            "predictions.format", f"unknown format {file_format!r}", f"use one of {list(FORMATS)}"
        )
    target = path.with_suffix(f".{file_format}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "csv":
        pyarrow.csv.write_csv(table, target)
    else:
        pyarrow.parquet.write_table(table, target)
    return target


def _concatenated(parts: list[dict[str, Tensor]]) -> dict[str, Tensor]:
    return {key: torch.cat([part[key] for part in parts]) for key in parts[0]} if parts else {}
