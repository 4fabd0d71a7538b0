"""Fixtures for sweep tests: tiny trials on the shared sample cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import TINY

# A trial in well under a second of CPU: TINY, 4 training and 2 validation batches, no test pass.
TINY_TRIAL = [
    *TINY,
    "+trainer.limit_train_batches=4",
    "+trainer.limit_val_batches=2",
    "test=false",
    "logger=none",
]


@pytest.fixture
def trial_overrides(sample_cache: Path) -> list[str]:
    """train.py overrides for every trial of a test sweep."""
    return [*TINY_TRIAL, f"paths.cache_dir={sample_cache}"]
