"""`DataSpec`: what a model needs to know about its data, saved with every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DataSpec:
    """The contract between a datamodule and a task (and, later, the exported model's metadata).

    Attributes:
        feature_names: input features, in column order.
        window: frames per training window.
        fps: frame rate of the recordings.
        class_names: class vocabulary of the task's main label (empty for regression tasks).
        class_weights: per-class loss weights from the training split's window counts
            (``N / (C · n_c)``, 0 for a class absent from training); empty without classes.
        extras: task-specific facts (e.g. the rep-start target's smoothing).
    """

    feature_names: list[str]
    window: int
    fps: float
    class_names: list[str] = field(default_factory=list)
    class_weights: list[float] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def num_features(self) -> int:
        return len(self.feature_names)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
