"""Classification metrics shared by every task with a class head (workout, pose, gait phases)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)


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
