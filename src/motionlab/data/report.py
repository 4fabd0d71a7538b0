"""The data report: what was read, skipped, interpolated and split — printed before training and
saved as ``data_report.json`` in the run directory.

Its warnings are the ones seed 001 needed before it trained a model to 0 % test accuracy: too few
windows, classes missing from a split, severe imbalance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich import get_console
from rich.console import Console
from rich.table import Table

from motionlab.files import write_json_atomic

log = logging.getLogger(__name__)

# Below these the report warns that the data is too small / too imbalanced to learn from.
MIN_TRAIN_WINDOWS = 500
MIN_TRAIN_WINDOWS_PER_CLASS = 20
MAX_IMBALANCE_RATIO = 10.0


@dataclass
class SplitSummary:
    groups: list[str]
    recordings: int
    frames: int
    windows: int
    windows_per_class: dict[str, int] = field(default_factory=dict)


@dataclass
class DataReport:
    source: str
    unit: str
    feature_names: list[str]
    class_names: list[str] = field(default_factory=list)
    recordings_read: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    interpolated_frames: int = 0
    recordings_with_gaps: int = 0
    longest_gap: int = 0
    dropped_frames: int = 0
    recordings_split: int = 0
    constant_features: list[str] = field(default_factory=list)
    splits: dict[str, SplitSummary] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def skip(self, name: str, source: str, reason: str) -> None:
        self.skipped.append({"recording": name, "source": source, "reason": reason})

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning(message)

    def check_learnability(self) -> None:
        """Warn when the training split is too small or too imbalanced to learn from."""
        train = self.splits.get("train")
        if train is None:
            return
        if train.windows < MIN_TRAIN_WINDOWS:
            self.warn(
                f"only {train.windows} training windows (< {MIN_TRAIN_WINDOWS}): expect overfitting; add "
                "recordings, lower data.stride, or use a smaller model"
            )
        counts = {name: n for name, n in train.windows_per_class.items() if n > 0}
        for name, n in train.windows_per_class.items():
            if 0 < n < MIN_TRAIN_WINDOWS_PER_CLASS:
                self.warn(f"class '{name}' has only {n} training windows (< {MIN_TRAIN_WINDOWS_PER_CLASS})")
        if len(counts) > 1 and max(counts.values()) / min(counts.values()) > MAX_IMBALANCE_RATIO:
            big, small = max(counts, key=counts.get), min(counts, key=counts.get)
            self.warn(
                f"training classes are imbalanced {counts[big] / counts[small]:.0f}:1 "
                f"('{big}' vs '{small}'): use class weights / a balanced sampler and judge the model "
                "by macro-F1, not accuracy"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "unit": self.unit,
            "features": {
                "count": len(self.feature_names),
                "names": self.feature_names,
                "constant_in_train": self.constant_features,
            },
            "class_names": self.class_names,
            "recordings": {"read": self.recordings_read, "skipped": self.skipped},
            "gap_filling": {
                "interpolated_frames": self.interpolated_frames,
                "recordings_with_gaps": self.recordings_with_gaps,
                "longest_gap": self.longest_gap,
                "dropped_frames": self.dropped_frames,
                "recordings_split": self.recordings_split,
            },
            "splits": {name: vars(split) for name, split in self.splits.items()},
            **self.extras,
            "warnings": self.warnings,
        }

    def save(self, path: str | Path) -> None:
        write_json_atomic(Path(path), self.to_dict())

    def print(self, console: Console | None = None) -> None:
        console = console or get_console()
        table = Table(title=f"data: {self.source}", title_justify="left")
        table.add_column("split")
        table.add_column(f"{self.unit}s", justify="right")
        table.add_column("recordings", justify="right")
        table.add_column("windows", justify="right")
        # Window counts per class exist only for data with a window class (not, e.g., per-frame labels).
        classes = self.class_names if any(s.windows_per_class for s in self.splits.values()) else []
        for name in classes:
            table.add_column(name, justify="right")
        for split_name, split in self.splits.items():
            per_class = [str(split.windows_per_class.get(name, 0)) for name in classes]
            table.add_row(
                split_name, str(len(split.groups)), str(split.recordings), str(split.windows), *per_class
            )
        console.print(table)
        if self.skipped:
            console.print(f"[yellow]skipped {len(self.skipped)} recording(s)[/yellow] (see data_report.json)")
        if self.interpolated_frames:
            console.print(
                f"interpolated {self.interpolated_frames} dropped frame(s) in {self.recordings_with_gaps} "
                f"recording(s); longest gap {self.longest_gap}"
            )
        if self.dropped_frames:
            console.print(
                f"dropped {self.dropped_frames} frame(s) in long gaps or at recording ends; "
                f"{self.recordings_split} recording(s) cut into pieces"
            )
        for warning in self.warnings:
            console.print(f"[yellow]warning:[/yellow] {warning}")
