"""Built-in sample datasets, generated on first use into a cache directory keyed by their parameters.

Every data format's synthetic generator is a function ``generate(out_dir, **params)``. `ensure_sample`
runs it once per distinct parameter set (and generator version) and returns the same directory on
every later call, so ``data=<format>`` runs with no files and no download.
"""

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
    """The dataset ``generate(out_dir, **params)`` writes, generated on first use.

    Returns ``<cache_dir>/<prefix>-<hash of version and all parameters, defaults included>``, with a
    ``sample.json`` manifest of them. ``signature`` is the generator's, taken once at import so that
    the cache key does not depend on what ``generate`` is bound to later (test doubles); unknown
    parameters raise ``TypeError``. The data is generated into a temporary sibling and renamed into
    place, so concurrent callers (e.g. DDP ranks) all end up with the complete directory: a caller
    that loses the race drops its copy.
    """
    bound = signature.bind(None, **params)
    bound.apply_defaults()
    out_dir_name = next(iter(signature.parameters))
    settings = {key: value for key, value in bound.arguments.items() if key != out_dir_name}
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
