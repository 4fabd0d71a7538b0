"""Building objects from configs that were read from files: only motionlab's own classes.

Checkpoints (``hyper_parameters.encoder``), run directories (``config.yaml``, ``.hydra/overrides.yaml``),
sweeps and registries are data. A Hydra ``_target_`` found in one could otherwise name any callable:
``pathlib.Path.write_text`` wrote files from a crafted checkpoint. So every ``_target_`` — the top one
and any nested one — must name a class that a ``motionlab.*`` module defines, or re-exports in its
``__all__`` (Lightning's callbacks and loggers under stable names), directly as a module attribute, and
be a subclass of what the place expects (an `Encoder` for ``model``, a ``MotionTask`` for ``task``).
Anything else is refused with a `ConfigError` before anything outside motionlab is imported and before
anything is called.

A class that motionlab has renamed keeps loading from older files: `RENAMED` maps its old dotted
prefix to the new one, and `current_targets` rewrites a stored config before it is checked and built.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any, TypeVar

from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig, OmegaConf

from motionlab.errors import ConfigError

PACKAGE = "motionlab"
T = TypeVar("T")

# Old dotted prefix → new one, for classes moved since runs were written (longest prefix first).
RENAMED: dict[str, str] = {
    "motionlab.data.pose.datamodule.PoseDataModule": (
        "motionlab.data.csv_frames.datamodule.CsvFramesDataModule"
    ),
    "motionlab.data.pose.": "motionlab.data.csv_frames.",
}

_REFUSED_FIX = (
    "a config read from a checkpoint, run directory, sweep or registry may only name motionlab's own "
    "classes: is this file from a trusted motionlab run?"
)


def allowed_class(target: object, base: type[T], key: str) -> type[T]:
    """The class named by ``target`` when it is one of motionlab's own and a subclass of ``base``;
    a `ConfigError` naming ``key`` otherwise. Imports nothing outside the ``motionlab`` package."""
    if not isinstance(target, str) or not target.startswith(f"{PACKAGE}."):
        raise _refused(key, target, base)
    module_name, _, name = target.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except (ModuleNotFoundError, ValueError) as error:
        raise _refused(key, target, base) from error
    found = _exported(module, name)
    if not (isinstance(found, type) and issubclass(found, base)):
        raise _refused(key, target, base)
    return found


def current_target(target: object) -> object:
    """``target`` under its current name when motionlab has renamed it (`RENAMED`); else unchanged."""
    if isinstance(target, str):
        for old, new in RENAMED.items():
            if target.startswith(old):
                return new + target[len(old) :]
    return target


def current_targets(config: Any) -> Any:
    """A plain copy of ``config`` with every ``_target_`` (at any depth) under its current name."""
    if isinstance(config, DictConfig | ListConfig):
        config = OmegaConf.to_container(config, resolve=False)
    if isinstance(config, Mapping):
        return {
            name: current_target(value) if name == "_target_" else current_targets(value)
            for name, value in config.items()
        }
    if isinstance(config, list | tuple):
        return [current_targets(value) for value in config]
    return config


def check_targets(config: Any, key: str, base: type = object) -> None:
    """Refuse ``config`` when any ``_target_`` in it (at any depth) is not an allowed class; the top
    one must also be a subclass of ``base``."""
    if isinstance(config, DictConfig | ListConfig):
        config = OmegaConf.to_container(config, resolve=False)
    if isinstance(config, Mapping):
        if "_target_" in config:
            allowed_class(config["_target_"], base, f"{key}._target_")
        for name, value in config.items():
            check_targets(value, f"{key}.{name}" if key else str(name))
    elif isinstance(config, list | tuple):
        for index, value in enumerate(config):
            check_targets(value, f"{key}[{index}]")


def instantiate_allowed(config: Any, base: type[T], key: str, **kwargs: Any) -> T:
    """``hydra.utils.instantiate(config, **kwargs)`` once `check_targets` has passed ``config`` (with
    renamed classes under their current names)."""
    config = current_targets(config)
    check_targets(config, key, base)
    built = instantiate(config, **kwargs)
    if not isinstance(built, base):  # a `_partial_: true` config builds a partial, not the class
        raise _refused(f"{key}._target_", _target_of(config), base)
    return built


def _exported(module: ModuleType, name: str) -> object:
    """``module.name`` when the module defines it or lists it in ``__all__``; never an attribute
    chain (``motionlab.x.subprocess.Popen``) nor a class imported only for the module's own use."""
    exported = name in getattr(module, "__all__", ())
    found = getattr(module, name, None) if exported else vars(module).get(name)
    if exported or getattr(found, "__module__", "").startswith(f"{PACKAGE}."):
        return found
    return None


def _target_of(config: Any) -> object:
    return config.get("_target_") if isinstance(config, Mapping | DictConfig) else None


def _refused(key: str, target: object, base: type) -> ConfigError:
    expected = "class" if base is object else f"{base.__name__} class"
    return ConfigError(key, f"{target!r} is not a motionlab {expected}: refused", _REFUSED_FIX)
