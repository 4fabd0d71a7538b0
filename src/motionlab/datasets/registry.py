"""The real public data sets motionlab can convert offline, one module each in this package."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from motionlab.errors import ConfigError


@dataclass(frozen=True)
class RealDataset:
    """A real data set that ships inside a registry package and its converter.

    Attributes:
        name: the id used on the command line (``python -m motionlab.datasets convert <name>``).
        title: one line for listings.
        kind: ``imu`` (body-worn sensors) or ``landmarks`` (tracked body points): the recipe that
            trains on it, ``experiment=<kind>``.
        convert: writes the data set under a directory in the project's CSV layout; returns the CSV.
        fps: frame rate.
        overrides: the other data settings of this set (window, strides) for ``train.py``.
    """

    name: str
    title: str
    kind: str
    convert: Callable[[Path], Path]
    fps: float
    overrides: tuple[str, ...]

    def csv_path(self, root: str | Path) -> Path:
        return Path(root) / self.name / f"{self.name}.csv"

    def ensure(self, root: str | Path) -> Path:
        """The converted CSV under ``root/<name>/``, converted first when missing."""
        path = self.csv_path(root)
        return path if path.is_file() else self.convert(path.parent)

    def train_overrides(self, csv_path: str | Path) -> list[str]:
        """``train.py`` overrides that train this set's recommended recipe on the converted CSV."""
        return [
            f"experiment={self.kind}",
            f"data.path={csv_path}",
            "data.split.column=split",
            f"data.fps={self.fps:g}",
            *self.overrides,
        ]


def real_datasets() -> dict[str, RealDataset]:
    """Every data set module of this package (each defines ``DATASET``), by name."""
    package = importlib.import_module("motionlab.datasets")
    found = {}
    for module in pkgutil.iter_modules(package.__path__):
        dataset = getattr(importlib.import_module(f"motionlab.datasets.{module.name}"), "DATASET", None)
        if isinstance(dataset, RealDataset):
            found[dataset.name] = dataset
    return dict(sorted(found.items()))


def real_dataset(name: str) -> RealDataset:
    datasets = real_datasets()
    if name not in datasets:
        raise ConfigError("dataset", f"unknown real data set '{name}'", f"use one of {sorted(datasets)}")
    return datasets[name]
