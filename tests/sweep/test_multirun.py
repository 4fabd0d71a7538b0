"""Grid multiruns keep going through Hydra itself: ``python train.py -m key=a,b``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.helpers import REPO
from tests.sweep.helpers import TINY_TRIAL

pytestmark = pytest.mark.slow


def test_a_two_job_multirun_leaves_two_complete_run_directories(tmp_path, sample_cache):
    command = [
        sys.executable,
        "train.py",
        "-m",
        "model.channels=16,32",
        *[o for o in TINY_TRIAL if not o.startswith("model.channels=")],
        f"paths.cache_dir={sample_cache}",
        f"hydra.sweep.dir={tmp_path}",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    for job, channels in enumerate((16, 32)):
        run_dir = tmp_path / str(job)
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["status"] == "completed" and summary["run_dir"] == str(run_dir)
        assert yaml.safe_load((run_dir / "config.yaml").read_text())["model"]["channels"] == channels
