"""One tiny trained run per data config, exported once with `make export`, shared by the export tests.

Every data config under ``configs/data`` selects its task, so a task added with its data config joins
these tests without changes here. The tests of this package run on one pytest-xdist worker
(``xdist_group``) so each run is trained and exported once per session.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from omegaconf import DictConfig, OmegaConf

from motionlab.export.graph import ExportGraph, load_task
from motionlab.training import train
from tests.helpers import CONFIG_DIR, REPO, TINY, applicable_overrides, compose_config

DATA_CONFIGS = sorted(path.stem for path in (CONFIG_DIR / "data").glob("*.yaml"))
# Keep training short whatever the data config's sample size.
TINY_EXPORT = [*TINY, "++trainer.limit_train_batches=20", "logger=none"]
# Settings of the export under test: few benchmark iterations (timings are stored, never asserted);
# the tiny one-epoch models are barely past uniform, so int8 flips a near-tied top class now and then
# (top-1 agreement 0.977-1.0): the bar is 0.95 here instead of the default 0.98. Their outputs barely
# vary over the test split, so int8 moves them by a larger share of that spread than a trained model's
# (measured up to 0.13 for the workout rep-start probability): the bar is 0.3 instead of 0.1.
EXPORT_ARGS = [
    "benchmark.iterations=2",
    "verify.windows=128",
    "quantize.min_top1_agreement=0.95",
    "quantize.max_relative_error=0.3",
]


def tiny_overrides(data: str, log_dir: Path, cache_dir: Path) -> list[str]:
    """``TINY_EXPORT`` minus the overrides this data config's task and model do not have."""
    return [f"data={data}", *applicable_overrides(TINY_EXPORT, [f"data={data}"], log_dir, cache_dir)]


@dataclass
class ExportedRun:
    """A tiny trained run and what ``make export`` made of it."""

    data: str
    run_dir: Path
    config: DictConfig
    export_dir: Path
    card: dict
    make_output: str

    @property
    def model_path(self) -> Path:
        return self.export_dir / "model.onnx"

    def graph(self, mode: str = "app") -> ExportGraph:
        summary = json.loads((self.run_dir / "summary.json").read_text())
        return ExportGraph(load_task(summary["best_checkpoint"], self.config.task._target_), mode)


def write_summary(run_dir: Path, status: str) -> None:
    """A run directory as a crashed or still-running training leaves it (no usable checkpoint)."""
    run_dir.mkdir(parents=True)
    summary = {"status": status, "best_checkpoint": None, "finished_at": None}
    (run_dir / "summary.json").write_text(json.dumps(summary))


@pytest.fixture(scope="session", params=DATA_CONFIGS)
def exported_run(request, tmp_path_factory, sample_cache) -> ExportedRun:
    data = request.param
    log_dir = tmp_path_factory.mktemp(f"export-{data}") / "outputs"
    cfg = compose_config(tiny_overrides(data, log_dir, sample_cache), log_dir, sample_cache, run="trained")
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    # newer runs that must be passed over: one failed, one still running
    write_summary(log_dir / "later" / "failed", "failed")
    write_summary(log_dir / "later" / "running", "running")
    args = " ".join([f"paths.log_dir={log_dir}", *EXPORT_ARGS])
    # -o: the environment running the tests is installed; use its Python, never reinstall
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-o",
            ".venv/.installed",
            "export",
            f"PY={sys.executable}",
            f"ARGS={args}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    export_dir = run_dir / "export"
    card = json.loads((export_dir / "model_card.json").read_text())
    return ExportedRun(data, run_dir, OmegaConf.load(run_dir / "config.yaml"), export_dir, card, output)
