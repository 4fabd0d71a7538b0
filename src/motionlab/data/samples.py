"""Built-in sample datasets, generated on first use into a cache directory keyed by their parameters."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def ensure_sample(
    cache_dir: str | Path,
    prefix: str,
    version: str,
    parameters: inspect.Signature,
    generate: Callable[..., Any],
    params: Mapping[str, Any],
) -> Path:
    """The sample dataset that ``generate(out_dir, **params)`` writes, generated on first use.

    ``parameters`` is the generator's signature (its first parameter is the output directory): the
    defaults it fills in are part of the key, so the directory name changes whenever any effective
    setting or the generator's ``version`` does. Returns ``<cache_dir>/<prefix>-<hash>``. The data is
    generated into a temporary sibling and renamed into place, so concurrent callers (e.g. DDP
    ranks) all end up with the complete directory: a caller that loses the race drops its copy.
    """
    bound = parameters.bind(None, **params)
    bound.apply_defaults()
    out_dir = next(iter(parameters.parameters))
    settings = {
        key: _as_declared(value, parameters.parameters[key].default)
        for key, value in bound.arguments.items()
        if key != out_dir
    }
    manifest = json.dumps({"version": version, **settings}, sort_keys=True, default=str)
    cache_dir = Path(cache_dir)
    target = cache_dir / f"{prefix}-{hashlib.sha256(manifest.encode()).hexdigest()[:12]}"
    if target.is_dir():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=f".{target.name}.tmp-"))
    try:
        generate(tmp, **settings)
        (tmp / "sample.json").write_text(manifest + "\n")
        os.rename(tmp, target)
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _as_declared(value: Any, default: Any) -> Any:
    """An int given for a float parameter as float, so that ``seconds=3`` and ``3.0`` share a cache entry."""
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
