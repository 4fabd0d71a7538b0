"""Classification metrics shared by every task with a class head (workout, pose, gait phases)."""

from __future__ import annotations

from collections.abc import Sequence

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
