"""Real data sets for the pretraining tasks' tests, converted offline once per module."""

from __future__ import annotations

import pytest


def real_set_overrides(name: str, package: str, root) -> list[str]:
    """The recipe's data overrides of real set ``name``, converted under ``root`` from ``package``'s
    wheel (skipped where it is not installed)."""
    pytest.importorskip(
        package,
        reason="the real data sets ship in aeon's and seglearn's wheels: pip install 'motionlab[classical]'",
    )
    from motionlab.datasets.registry import real_dataset

    dataset = real_dataset(name)
    return dataset.train_overrides(dataset.ensure(root))[1:]


@pytest.fixture(scope="module")
def basic_motions(tmp_path_factory) -> list[str]:
    """The real BasicMotions set (smartwatch IMU, 4 classes), converted offline; its recipe's data
    overrides."""
    return real_set_overrides("basic_motions", "aeon", tmp_path_factory.mktemp("real"))


@pytest.fixture(scope="module")
def shoulder_exercises(tmp_path_factory) -> list[str]:
    """The real shoulder_exercises set (smartwatch IMU, 10 people, 7 exercises), converted offline; its
    recipe's data overrides (people held out)."""
    return real_set_overrides("shoulder_exercises", "seglearn", tmp_path_factory.mktemp("real"))
