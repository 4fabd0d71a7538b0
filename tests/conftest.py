"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig

from tests.helpers import TINY, compose_config

# Test models are tiny: intra-op threads only add overhead and fight the other pytest-xdist worker
# for the cores. Parallelism comes from the workers instead.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def sample_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sample-data cache for the whole session: each dataset is generated once."""
    return tmp_path_factory.mktemp("sample-cache")


@pytest.fixture
def make_config(tmp_path: Path, sample_cache: Path) -> Callable[..., DictConfig]:
    def make(*overrides: str, run: str = "run", tiny: bool = True) -> DictConfig:
        return compose_config([*(TINY if tiny else []), *overrides], tmp_path / "outputs", sample_cache, run)

    return make
