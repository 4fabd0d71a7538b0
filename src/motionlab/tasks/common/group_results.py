"""Results per evaluated group (person, session, recording): a window classifier's accuracy on each
held-out person, the number an app shipped to new people depends on.

A group is what the split keeps together (`motionlab.data.splits.SplitPolicy.group_of`: the subject
when the data names one, otherwise the session or recording). Everything is computed from the same
window scores as the rest of the evaluation report, in one pass over the windows: per-group confusion
matrices by one ``bincount`` and the per-recording answers by `recording_predictions` (mean
probability, as in the ``recording`` section); the loop is over groups, never over windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from motionlab.tasks.common.classification_metrics import (
    classification_report,
    labelled_segments,
    recording_predictions,
)

ORDER = "window accuracy ascending (worst group first), ties by group name"


def worst_first(row: Mapping[str, Any]) -> tuple[float, str]:
    """A ``groups`` table row's place in `ORDER`."""
    return row["accuracy"], row["group"]


def group_results(
    scores: np.ndarray,
    labels: np.ndarray,
    recording_index: np.ndarray,
    recording_groups: Sequence[str],
    class_names: Sequence[str],
) -> dict[str, Any]:
    """The ``groups`` section of ``evaluation_report.json``.

    Args:
        scores: ``[N, C]`` class probabilities (or any per-class scores) of the windows, in split order.
        labels: ``[N]`` the windows' true classes.
        recording_index: ``[N]`` each window's recording, an index into ``recording_groups``.
        recording_groups: the group of each recording.
        class_names: the ``C`` classes.

    Returns ``{"order", "table", "summary"}``: ``table`` has one row per group with windows
    (``windows``, ``accuracy``, ``macro_f1``) and labelled segments (``recordings``,
    ``recording_accuracy``, mean-probability answers), in `ORDER`; ``summary`` is `group_summary`'s.
    Groups without an evaluated window are left out.
    """
    scores, labels = np.asarray(scores), np.asarray(labels, dtype=np.int64)
    recording_index = np.asarray(recording_index, dtype=np.int64)
    names, recording_group = np.unique(np.asarray(recording_groups, dtype=str), return_inverse=True)
    window_group = recording_group[recording_index]
    num_groups, num_classes = len(names), len(class_names)
    cells = (window_group * num_classes + labels) * num_classes + scores.argmax(axis=1)
    confusions = np.bincount(cells, minlength=num_groups * num_classes**2).reshape(
        num_groups, num_classes, num_classes
    )
    segments = labelled_segments(recording_index, labels)
    answers = recording_predictions(scores, segments, labels)
    segment_group = window_group[np.flatnonzero(np.diff(segments, prepend=-1))]
    recordings = np.bincount(segment_group, minlength=num_groups)
    right = np.bincount(segment_group, weights=answers.predicted == answers.labels, minlength=num_groups)
    rows = []
    for g in np.flatnonzero(confusions.sum(axis=(1, 2))):
        windows = classification_report(confusions[g], class_names)
        rows.append(
            {
                "group": str(names[g]),
                "windows": windows["windows"],
                "accuracy": windows["accuracy"],
                "macro_f1": windows["macro_f1"],
                "recordings": int(recordings[g]),
                "recording_accuracy": float(right[g] / recordings[g]),
            }
        )
    rows.sort(key=worst_first)
    return {"order": ORDER, "table": rows, "summary": group_summary(rows)}


def group_summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The worst group (lowest window accuracy; `ORDER` breaks ties) and the mean, min and max over
    groups (each group counts once, whatever its windows) of window and recording accuracy."""
    worst = min(rows, key=worst_first, default=None)
    summary: dict[str, Any] = {
        "groups": len(rows),
        "worst": None
        if worst is None
        else {key: worst[key] for key in ("group", "accuracy", "recording_accuracy")},
    }
    for key in ("accuracy", "recording_accuracy"):
        values = np.array([row[key] for row in rows])
        summary[key] = (
            {"mean": float(values.mean()), "min": float(values.min()), "max": float(values.max())}
            if len(values)
            else None
        )
    return summary


def group_table_text(section: Mapping[str, Any], where: str, full_up_to: int = 20, shown: int = 10) -> str:
    """The ``groups`` section as a text table, worst group first: every group up to ``full_up_to``
    of them, otherwise the worst ``shown`` and a line saying how many more are in ``where``."""
    rows = sorted(section["table"], key=worst_first)
    listed = rows if len(rows) <= full_up_to else rows[:shown]
    width = max([len("group"), *(len(row["group"]) for row in listed)])
    lines = [
        f"per group ({len(rows)}), worst first:",
        f"{'group':<{width}}  windows  accuracy  macro-F1  recordings  recording accuracy",
    ]
    lines += [
        f"{row['group']:<{width}}  {row['windows']:>7}  {row['accuracy']:>8.3f}  {row['macro_f1']:>8.3f}"
        f"  {row['recordings']:>10}  {row['recording_accuracy']:>18.3f}"
        for row in listed
    ]
    if len(listed) < len(rows):
        lines.append(f"... and {len(rows) - len(listed)} more groups in {where}")
    summary = section["summary"]
    if summary["worst"] is not None:
        accuracy, recording = summary["accuracy"], summary["recording_accuracy"]
        lines.append(
            f"worst group {summary['worst']['group']}: window accuracy {summary['worst']['accuracy']:.3f}; "
            f"over groups mean {accuracy['mean']:.3f} (min {accuracy['min']:.3f}, "
            f"max {accuracy['max']:.3f}), recording accuracy mean {recording['mean']:.3f} "
            f"(min {recording['min']:.3f}, max {recording['max']:.3f})"
        )
    return "\n".join(lines)
