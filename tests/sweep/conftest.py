"""Fixtures for sweep tests: tiny trials on the shared sample cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sweep.helpers import TINY_TRIAL
from tests.sweep.postgres import ServerUnavailableError, postgres_server


@pytest.fixture
def trial_overrides(sample_cache: Path) -> list[str]:
    """train.py overrides for every trial of a test sweep."""
    return [*TINY_TRIAL, f"paths.cache_dir={sample_cache}"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server on 127.0.0.1 for the session (Debian's postgresql package); the test is
    skipped, saying why, only where the server or its Python driver cannot be had, and fails instead
    where MOTIONLAB_REQUIRE_POSTGRES=1 (CI: .ci/run installs the server)."""
    give_up = pytest.fail if os.environ.get("MOTIONLAB_REQUIRE_POSTGRES") == "1" else pytest.skip
    try:
        import psycopg  # noqa: F401
    except ImportError:
        give_up("the PostgreSQL driver is missing: pip install 'psycopg[binary]'")
    try:
        with postgres_server() as url:
            yield url
    except ServerUnavailableError as error:
        give_up(str(error))
