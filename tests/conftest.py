"""Shared fixtures."""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig

from tests.helpers import REPO, TINY, compose_config

# The pose model bundle that `make pose-model` builds; the tests build it there once when it is missing.
POSE_BUNDLE = REPO / ".cache" / "pose" / "pose_landmarker_full.task"

# Test models are tiny: intra-op threads only add overhead and fight the other pytest-xdist worker
# for the cores. Parallelism comes from the workers instead.
torch.set_num_threads(1)

# Shared fixtures that train (or export) real runs once per session or module. A test that uses one is
# slow, however fast its own body: whichever test comes first pays for the training.
TRAINING_FIXTURES = frozenset(
    {
        "exported_run",  # tests/export: a trained and exported run per data config
        "trained_run",  # tests/export/test_registry.py
        "streaming_run",  # tests/export/test_streaming.py
        "source_run",  # tests/training/test_finetune.py
        "task_and_data",  # tests/training/test_mixed_precision.py
        "workout_runs",  # tests/evaluation, tests/ensemble
        "exported_workout_run",  # tests/notebooks
        "built",  # tests/analyze: sessions built from rendered videos
        "workout_model",  # tests/analyze
        "gait_model",  # tests/analyze
        "transform_run",  # tests/tasks/test_transform_pretrain.py
    }
)


def shared_fixture_group(item: pytest.Item) -> str | None:
    """The pytest-xdist group (``make test`` runs ``--dist=loadgroup``) that builds the shared fixtures
    of ``item`` once: its data config's for a test of an `exported_run` (tests/export/conftest.py), its
    module's for a test that uses a module-scoped fixture. None: the module names its own group, or
    the test shares nothing; pytest-xdist then hands it to whichever worker is free."""
    if item.get_closest_marker("xdist_group"):
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "exported_run" in params:
        return f"export-{params['exported_run']}"
    fixture_info = getattr(item, "_fixtureinfo", None)
    if fixture_info and any(defs[-1].scope == "module" for defs in fixture_info.name2fixturedefs.values()):
        return item.module.__name__
    return None


@pytest.hookimpl(tryfirst=True)  # before -m selects and before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use a `TRAINING_FIXTURES` fixture ``slow``; group the tests that share a
    fixture (`shared_fixture_group`)."""
    for item in items:
        if TRAINING_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        group = shared_fixture_group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def sample_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sample-data cache for the whole session: each dataset is generated once."""
    return tmp_path_factory.mktemp("sample-cache")


@pytest.fixture
def make_config(tmp_path: Path, sample_cache: Path) -> Callable[..., DictConfig]:
    def make(*overrides: str, run: str = "run", tiny: bool = True) -> DictConfig:
        return compose_config([*(TINY if tiny else []), *overrides], tmp_path / "outputs", sample_cache, run)

    return make


@pytest.fixture(scope="session")
def pose_bundle() -> Path:
    """The pose landmarker bundle (built once, as `make pose-model` does); skips the test when the
    video extra is missing or the bundle cannot be built (no access to the package registry)."""
    pytest.importorskip(
        "mediapipe", reason="the optional video extra is not installed: pip install -e .[video]"
    )
    pytest.importorskip("cv2", reason="the optional video extra is not installed: pip install -e .[video]")
    from motionlab.pose.bundle import BundleBuildError, ensure_pose_bundle

    POSE_BUNDLE.parent.mkdir(parents=True, exist_ok=True)
    with open(POSE_BUNDLE.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one pytest-xdist worker builds it, the others wait for it
        try:
            return ensure_pose_bundle(POSE_BUNDLE)
        except BundleBuildError as error:
            pytest.skip(f"pose model bundle unavailable: {error}")
