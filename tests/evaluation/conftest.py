"""Two tiny trained workout runs (seeds 1 and 2), shared by the evaluation and ensemble tests (both run
in the pytest-xdist group ``evaluation``, so the runs are trained once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from motionlab.training.run import train
from tests.helpers import TINY, compose_config


@pytest.fixture(scope="session")
def workout_runs(tmp_path_factory, sample_cache) -> list[Path]:
    log_dir = tmp_path_factory.mktemp("workout-runs") / "outputs"
    run_dirs = []
    for seed in (1, 2):
        overrides = [*TINY, f"seed={seed}", "logger=none", "++trainer.limit_train_batches=5"]
        cfg = compose_config(overrides, log_dir, sample_cache, run=f"seed{seed}")
        train(cfg)
        run_dirs.append(Path(cfg.paths.output_dir))
    return run_dirs
