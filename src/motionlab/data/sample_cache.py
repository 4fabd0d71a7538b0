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
    generate: Callable[..., Any],
    signature: inspect.Signature,
    params: Mapping[str, Any],
) -> Path:
    """The dataset ``generate(out_dir, **params)`` writes, generated only when not cached yet.

    Returns ``<cache_dir>/<prefix>-<hash of version and all parameters>``. ``signature`` is the real
    generator's (taken once, so the cache key does not depend on what ``generate`` is bound to, e.g.
    a test double); it fills in the defaults and rejects unknown parameters with a ``TypeError``.
    The data is generated into a temporary sibling and renamed into place, so concurrent callers
    (e.g. DDP ranks) all end up with the complete directory: a caller that loses the race drops its
    copy. A ``sample.json`` manifest records the version and parameters.
    """
    bound = signature.bind(None, **params)
    bound.apply_defaults()
    first = next(iter(signature.parameters))
    settings = {key: value for key, value in bound.arguments.items() if key != first}
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
