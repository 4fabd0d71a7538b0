"""Classification metrics shared by every task with a class head (workout, pose, gait phases)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)
from torchmetrics.utilities import dim_zero_cat

from motionlab.data.windows import RECORDING_INDEX, WINDOW_INDEX


def classification_metrics(num_classes: int) -> MetricCollection:
    """Accuracy, macro-F1, per-class precision and recall, and the confusion matrix."""
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(num_classes, average="micro"),
            "f1": MulticlassF1Score(num_classes, average="macro"),
            "precision": MulticlassPrecision(num_classes, average=None),
            "recall": MulticlassRecall(num_classes, average=None),
            "confusion": MulticlassConfusionMatrix(num_classes),
        }
    )


def split_classification(
    computed: dict[str, Tensor], class_names: Sequence[str], prefix: str = ""
) -> tuple[dict[str, Tensor], np.ndarray]:
    """Flat scalar metrics (``acc``, ``f1``, ``precision/<class>``, ``recall/<class>``) and the
    confusion matrix (rows = true class, columns = predicted) from a computed collection."""
    scalars = {f"{prefix}acc": computed["acc"], f"{prefix}f1": computed["f1"]}
    for kind in ("precision", "recall"):
        scalars.update(
            {f"{prefix}{kind}/{name}": v for name, v in zip(class_names, computed[kind], strict=True)}
        )
    return scalars, computed["confusion"].cpu().numpy()


def classification_report(confusion: np.ndarray, class_names: Sequence[str]) -> dict[str, Any]:
    """Seed 001's ``evaluation_report.json`` from a confusion matrix (rows = true class).

    Overall accuracy and macro-F1 (over the classes that occur in the targets or the predictions, as
    torchmetrics computes it), the majority-class baseline, per-class precision / recall / F1 /
    support, the matrix itself, and warnings for the failure seed 001 ran into: a model no better
    than always predicting the most frequent class, or one that predicts a single class.
    """
    counts = np.asarray(confusion, dtype=np.int64)
    support, predicted, correct = counts.sum(axis=1), counts.sum(axis=0), np.diag(counts)
    total = int(counts.sum())
    precision = _ratio(correct, predicted)
    recall = _ratio(correct, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    occurs = (support + predicted) > 0
    accuracy = float(correct.sum() / total) if total else 0.0
    majority = int(np.argmax(support))
    baseline = float(support[majority] / total) if total else 0.0
    warnings = []
    if total and accuracy <= baseline:
        warnings.append(
            f"accuracy {accuracy:.3f} is not above the majority-class baseline {baseline:.3f} (always "
            f"'{class_names[majority]}'): the model has learned no more than the class frequencies"
        )
    used = int((predicted > 0).sum())
    if total and used < int((support > 0).sum()):
        warnings.append(f"the model predicts only {used} of the {int((support > 0).sum())} classes present")
    warnings += [f"class '{class_names[c]}' has no windows here" for c in np.flatnonzero(support == 0)]
    return {
        "windows": total,
        "accuracy": accuracy,
        "macro_f1": float(f1[occurs].mean()) if occurs.any() else 0.0,
        "majority_baseline": {"class": class_names[majority], "accuracy": baseline},
        "per_class": {
            name: {
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "f1": float(f1[c]),
                "support": int(support[c]),
                "predicted": int(predicted[c]),
            }
            for c, name in enumerate(class_names)
        },
        "confusion_matrix": {
            "class_names": list(class_names),
            "rows": "true class",
            "columns": "predicted class",
            "counts": counts.tolist(),
        },
        "warnings": warnings,
    }


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ratio, 0 where the denominator is 0."""
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


# ------------------------------------------------------------------ recording-level results
@dataclass(frozen=True)
class RecordingPredictions:
    """One answer per recording (or labelled segment) from its windows' scores.

    Attributes:
        groups: ``[G]`` the group ids, sorted.
        scores: ``[G, C]`` mean window score (probability, or any per-class score) of each group.
        votes: ``[G, C]`` how many of the group's windows have each class as their top class.
        labels: ``[G]`` the group's true class.
        windows: ``[G]`` windows per group.
    """

    groups: np.ndarray
    scores: np.ndarray
    votes: np.ndarray
    labels: np.ndarray
    windows: np.ndarray

    @property
    def predicted(self) -> np.ndarray:
        """``[G]`` the class of highest mean score (the primary answer)."""
        return self.scores.argmax(axis=1)

    @property
    def voted(self) -> np.ndarray:
        """``[G]`` the majority vote of the windows; a tie goes to the tied class of highest mean score."""
        tied = self.votes == self.votes.max(axis=1, keepdims=True)
        return np.where(tied, self.scores, -np.inf).argmax(axis=1)


def labelled_segments(recording_index: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Segment id ``[N]`` of each window, given in its split's order: a segment is a recording's run
    of windows of one label (the whole recording when it holds one activity). A new segment starts
    wherever the recording or the label changes from one window to the next."""
    recording_index, labels = np.asarray(recording_index), np.asarray(labels)
    change = np.ones(len(labels), dtype=bool)
    change[1:] = (recording_index[1:] != recording_index[:-1]) | (labels[1:] != labels[:-1])
    return np.cumsum(change) - 1


def recording_predictions(
    scores: np.ndarray, group_ids: np.ndarray, labels: np.ndarray
) -> RecordingPredictions:
    """Aggregate window scores ``[N, C]`` (probabilities, or decision scores) by ``group_ids [N]``:
    mean score and top-class votes per group, with the group's true class from ``labels [N]``.

    Raises ``ValueError`` when a group's windows carry different labels (group by `labelled_segments`
    then, not by recording).
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if scores.ndim != 2 or len(scores) != len(group_ids) or len(labels) != len(group_ids):
        raise ValueError(
            f"scores {scores.shape}, group_ids ({len(group_ids)},) and labels ({len(labels)},) must "
            "describe the same windows, scores as [windows, classes]"
        )
    groups, inverse = np.unique(np.asarray(group_ids), return_inverse=True)
    windows = np.bincount(inverse, minlength=len(groups))
    sums = np.zeros((len(groups), scores.shape[1]))
    np.add.at(sums, inverse, scores)
    votes = np.zeros((len(groups), scores.shape[1]), dtype=np.int64)
    np.add.at(votes, (inverse, scores.argmax(axis=1)), 1)
    group_labels = np.zeros(len(groups), dtype=np.int64)
    group_labels[inverse] = labels
    mixed = np.flatnonzero(group_labels[inverse] != labels)
    if len(mixed):
        raise ValueError(
            f"group {groups[inverse[mixed[0]]].item()!r} holds windows of different labels: give each "
            "labelled segment its own group id (labelled_segments)"
        )
    return RecordingPredictions(groups, sums / windows[:, None], votes, group_labels, windows)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """``[C, C]`` counts, rows = true class, columns = predicted class."""
    flat = np.asarray(labels, dtype=np.int64) * num_classes + np.asarray(predicted, dtype=np.int64)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def recording_confusions(recordings: RecordingPredictions, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Confusion matrices of the mean-score answers and of the majority votes."""
    return (
        confusion_matrix(recordings.labels, recordings.predicted, num_classes),
        confusion_matrix(recordings.labels, recordings.voted, num_classes),
    )


def recording_report(
    confusion: np.ndarray, vote_confusion: np.ndarray, class_names: Sequence[str]
) -> dict[str, Any]:
    """The ``recording`` section of ``evaluation_report.json`` from `recording_confusions`:
    `classification_report` of the mean-score answers (``accuracy``, ``macro_f1``, per class,
    confusion matrix, warnings) with the number of ``recordings`` in place of windows, and the
    ``majority_vote`` answers' accuracy and macro-F1."""
    report = classification_report(confusion, class_names)
    vote = classification_report(vote_confusion, class_names)
    return {
        "recordings": report.pop("windows"),
        **report,
        "majority_vote": {"accuracy": vote["accuracy"], "macro_f1": vote["macro_f1"]},
    }


class WindowScores(Metric):
    """Every evaluated window's class scores with its position in the split, recording and label.

    Kept on the device, one tensor per batch, and concatenated once when computed (across processes
    too, whatever each one's window count), so collecting them costs no synchronisation per step.
    `compute` returns them in the split's window order, ready for `labelled_segments`.
    """

    full_state_update = False
    FIELDS = ("window", "recording", "label", "scores")

    def __init__(self) -> None:
        super().__init__()
        for name in self.FIELDS:
            self.add_state(name, default=[], dist_reduce_fx="cat")

    def update(self, scores: Tensor, labels: Tensor, window: Tensor, recording: Tensor) -> None:
        self.window.append(window)
        self.recording.append(recording)
        self.label.append(labels)
        self.scores.append(scores.detach().float())

    def compute(self) -> dict[str, np.ndarray]:
        values = {name: dim_zero_cat(getattr(self, name)).cpu() for name in self.FIELDS}
        order = torch.argsort(values["window"])
        return {name: value[order].numpy() for name, value in values.items()}


def collect_window_scores(scores: WindowScores, logits: Tensor, batch: Mapping[str, Tensor]) -> None:
    """Add an evaluation batch's window probabilities to ``scores``. Batches of a `WindowDataset`
    carry each window's split position and recording; others (hand-made batches) are not collected."""
    if WINDOW_INDEX in batch:
        scores.update(logits.softmax(dim=-1), batch["label"], batch[WINDOW_INDEX], batch[RECORDING_INDEX])


def collected_windows(scores: WindowScores) -> dict[str, np.ndarray] | None:
    """The windows ``scores`` collected this epoch (`WindowScores.compute`), after which it is reset;
    ``None`` when none was collected."""
    if not scores.update_called:
        return None
    windows = scores.compute()
    scores.reset()
    return windows


def recording_epoch_metrics(
    windows: Mapping[str, np.ndarray], class_names: Sequence[str], details: dict[str, Any], stage: str
) -> dict[str, float]:
    """``recording_acc`` and ``recording_f1`` of an epoch's `collected_windows`, per labelled segment
    (mean probability); both confusion matrices and the number of windows they aggregate go to
    ``details`` (for `recording_details_report`)."""
    segments = labelled_segments(windows["recording"], windows["label"])
    confusion, votes = recording_confusions(
        recording_predictions(windows["scores"], segments, windows["label"]), len(class_names)
    )
    details[f"{stage}_recording_confusion_matrix"] = confusion.tolist()
    details[f"{stage}_recording_vote_confusion_matrix"] = votes.tolist()
    details[f"{stage}_recording_windows"] = len(segments)
    report = classification_report(confusion, class_names)
    return {"recording_acc": report["accuracy"], "recording_f1": report["macro_f1"]}


def recording_details_report(
    details: Mapping[str, Any], stage: str, class_names: Sequence[str]
) -> dict[str, Any] | None:
    """The ``recording`` section from what `recording_epoch_metrics` stored, with ``windows``: how
    many windows the answers aggregate."""
    confusion = details.get(f"{stage}_recording_confusion_matrix")
    if confusion is None:
        return None
    votes = details[f"{stage}_recording_vote_confusion_matrix"]
    report = recording_report(np.array(confusion), np.array(votes), class_names)
    return {"windows": details[f"{stage}_recording_windows"], **report}
