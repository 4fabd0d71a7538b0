"""'Did you mean …?' for a command-line override whose key the config does not have.

Hydra stops such a command (``train.py data.windw=30``) with "Key 'windw' is not in struct" and no
hint. After it has, the entry point (`run_with_hints`) asks `suggest_setting` for the closest
existing key.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

_REJECTED = re.compile(r"Could not override '([^']+)'")


def suggest_setting(config_dir: Path, config_name: str, overrides: Sequence[str]) -> str | None:
    """When Hydra rejects an override of ``overrides`` because its key does not exist, a line naming
    the closest existing key; ``None`` otherwise."""
    # imported here, not above: `closest` serves the motionlab command's verbs and keys, which start
    # without torch (the motionlab.sweep package imports the training code)
    from motionlab.sweep.compose import compose_config

    try:
        compose_config(config_dir, config_name, overrides)
        return None
    except (HydraException, OmegaConfBaseException) as error:
        rejected = _REJECTED.search(str(error))
    if rejected is None:
        return None
    key = rejected.group(1)
    try:
        cfg = compose_config(config_dir, config_name, [o for o in overrides if not o.startswith(f"{key}=")])
    except (HydraException, OmegaConfBaseException):
        return None
    parent_key, _, leaf = key.rpartition(".")
    parent = OmegaConf.select(cfg, parent_key) if parent_key else cfg
    if not isinstance(parent, DictConfig):
        return None
    near = closest(leaf, [str(name) for name in parent])
    if near is None:
        return None
    prefix = f"{parent_key}." if parent_key else ""
    return f"{key}: no such setting — did you mean {prefix}{near}? (+{key}=... adds a new key)"


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a misspelt ``word`` (a setting, a verb), ``None`` when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


def run_with_hints(
    main: Callable[[], object], config_dir: Path, config_name: str, argv: Sequence[str] | None = None
) -> None:
    """Run a ``@hydra.main`` entry point; when Hydra rejects the command line ``argv`` (default:
    ``sys.argv[1:]``; exit status 1), add a "did you mean" line for a misspelt setting
    (`suggest_setting`)."""
    try:
        main()
    except SystemExit as stop:
        if stop.code == 1:
            hint = suggest_setting(config_dir, config_name, sys.argv[1:] if argv is None else argv)
            if hint:
                print(f"error: {hint}", file=sys.stderr, flush=True)
        raise
