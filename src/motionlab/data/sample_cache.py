"""Built-in sample datasets, generated on first use into a cache keyed by every generator parameter."""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from motionlab.files import move_into_place


def ensure_sample(
    cache_dir: str | Path,
    name: str,
    version: str,
    signature: inspect.Signature,
    generate: Callable[..., Any],
    params: Mapping[str, Any],
) -> Path:
    """The directory holding ``generate(out_dir, **params)``'s output, generated on first use.

    Returns ``<cache_dir>/<name>-<hash of version and all parameters, defaults included>``, with the
    manifest in ``sample.json``. ``signature`` is the generator's (taken once by the caller, so the
    cache key does not depend on what ``generate`` is bound to later); unknown parameters raise
    ``TypeError``. The data is generated into a temporary sibling and renamed into place, so
    concurrent callers (e.g. DDP ranks) all end up with the complete directory: a caller that loses
    the race drops its copy.
    """
    bound = signature.bind(None, **params)
    bound.apply_defaults()
    defaults = {name: parameter.default for name, parameter in signature.parameters.items()}
    settings = {  # all but the output directory
        key: _as_declared(value, defaults[key]) for key, value in list(bound.arguments.items())[1:]
    }
    manifest = json.dumps({"version": version, **settings}, sort_keys=True, default=str)
    cache_dir = Path(cache_dir)
    target = cache_dir / f"{name}-{hashlib.sha256(manifest.encode()).hexdigest()[:12]}"
    if target.is_dir():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=f".{target.name}.tmp-"))
    try:
        generate(tmp, **settings)
        (tmp / "sample.json").write_text(manifest + "\n")
        move_into_place(tmp, target)
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _as_declared(value: Any, default: Any) -> Any:
    """An int given for a float parameter as a float: ``seconds=3`` and ``3.0`` share a cache entry."""
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


class PathOrSample:
    """Mixin for datamodules that read ``path`` or, when it is ``None``, their built-in sample:
    ``generate_sample(cache_dir, **sample)``, generated on first use (in ``prepare_data``)."""

    generate_sample: Callable[..., Path]
    path: Any
    cache_dir: str | Path
    sample: dict[str, Any]

    def set_source(self, path: Any, cache_dir: str | Path, sample: Mapping[str, Any]) -> None:
        self.path = path
        self.cache_dir = cache_dir
        self.sample = dict(sample)

    def sample_path(self) -> Path:
        return type(self).generate_sample(self.cache_dir, **self.sample)

    def data_path(self) -> Path:
        return Path(self.path) if self.path is not None else self.sample_path()

    def prepare_data(self) -> None:
        self.data_path()

    def describe_source(self) -> str:
        return str(self.path) if self.path is not None else f"built-in sample ({self.data_path()})"
