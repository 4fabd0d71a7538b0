"""The data formats, found by looking: each is one package under ``motionlab/data/`` that defines
``FORMAT`` plus its config ``configs/data/<name>.yaml`` — no list of formats is kept by hand.

Tests, notebooks and docs iterate `formats()`, so a new format is trained, cross-validated and shown
like the others as soon as its folder and YAML exist (docs/extending.md, "Add a data format").
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass

from motionlab.errors import ConfigError


@dataclass(frozen=True)
class DataFormat:
    """A data format: a reader package under ``motionlab/data/`` and its data config.

    Attributes:
        name: the config's name: ``configs/data/<name>.yaml``, chosen with ``data=<name>``.
        title: one line for listings (what a recording is, where it comes from).
        small_sample: Hydra overrides that give a small data set of this format, set up in seconds
            (tests, the explore-data notebook): sizes of the built-in sample, or, for a format
            without a generator, ``data.path=`` a small file checked in under ``tests/``.
        aliases: other config names that select this format (kept for users of an old name).
        package: the package the format lives in (filled in by `formats`).
    """

    name: str
    title: str
    small_sample: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    package: str = ""

    @property
    def data_path(self) -> tuple[str, ...]:
        """The ``data.path=`` override of ``small_sample`` for a format without a built-in sample
        (nothing for one with a generator): what any run of the format needs, whatever its sizes."""
        return tuple(override for override in self.small_sample if override.startswith("data.path="))


def formats() -> dict[str, DataFormat]:
    """Every format package of ``motionlab.data`` (each defines ``FORMAT``), by config name."""
    root = importlib.import_module("motionlab.data")
    found = {}
    for module in pkgutil.iter_modules(root.__path__):
        if not module.ispkg:
            continue
        package = f"motionlab.data.{module.name}"
        entry = getattr(importlib.import_module(package), "FORMAT", None)
        if isinstance(entry, DataFormat):
            found[entry.name] = dataclasses.replace(entry, package=package)
    return dict(sorted(found.items()))


def data_format(name: str) -> DataFormat:
    """The format selected by ``data=<name>`` (its name or an alias)."""
    for entry in formats().values():
        if name == entry.name or name in entry.aliases:
            return entry
    raise ConfigError("data", f"unknown data format '{name}'", f"use one of {sorted(formats())}")
