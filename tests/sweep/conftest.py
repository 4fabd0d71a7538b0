"""Fixtures for sweep tests: tiny trials on the shared sample cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sweep.helpers import TINY_TRIAL


@pytest.fixture
def trial_overrides(sample_cache: Path) -> list[str]:
    """train.py overrides for every trial of a test sweep."""
    return [*TINY_TRIAL, f"paths.cache_dir={sample_cache}"]
