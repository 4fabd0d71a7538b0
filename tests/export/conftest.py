"""One tiny trained run per data config, exported once with `make export`, shared by the export tests.

Every data format (`motionlab.data.formats()`) selects its task, so a task added with its data config joins
these tests without changes here. The tests of one data config's run share a pytest-xdist worker
(``xdist_group`` ``export-<data>``, set in tests/conftest.py), so each run is trained and exported once
per session, and the six runs are shared out over the workers.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from omegaconf import DictConfig, OmegaConf

from motionlab.data import formats
from motionlab.export.graph import ExportGraph
from motionlab.runs.sources import load_task
from motionlab.training.run import train
from tests.helpers import REPO, TINY, applicable_overrides, compose_config

DATA_CONFIGS = list(formats())  # every data format (src/motionlab/data/<format>/)
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
    return [
        f"data={data}",
        *formats()[data].data_path,
        *applicable_overrides(TINY_EXPORT, [f"data={data}"], log_dir, cache_dir),
    ]


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


# The browser example (examples/web) in headless Chromium, shared by the tests that run it.
WEB_EXAMPLE = REPO / "examples" / "web"
NODE_EXAMPLE = REPO / "examples" / "onnx-node"
NODE = shutil.which("node")
CHROMIUM = shutil.which("chromium")


def missing_browser() -> str | None:
    """Why the browser example cannot run here (None: it can)."""
    if NODE is None:
        return "node is not on PATH"
    if CHROMIUM is None:
        return "chromium is not installed (apt-get install -y chromium)"
    if not (WEB_EXAMPLE / "node_modules" / "onnxruntime-web").is_dir():
        return "the example's npm dependencies are not installed: run `make web-example`"
    return None


class Chromium:
    """``run_in_chromium.mjs --stdin``: one headless Chromium that runs a case per request."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [NODE, "run_in_chromium.mjs", "--chromium", CHROMIUM, "--stdin"],
            cwd=WEB_EXAMPLE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, case_path: str, timeout: float = 120) -> dict:
        self.process.stdin.write(f"{case_path}\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.process.kill()
            pytest.fail(f"no answer from Chromium in {timeout} s: {self.process.stderr.read()[-4000:]}")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def run_node_example(model_path: Path, case_path: Path) -> list[dict]:
    """``run_model.mjs`` on ``model_path`` and ``case_path``: its lines, each checked within 1e-4."""
    done = subprocess.run(
        [NODE, "run_model.mjs", str(model_path), str(case_path)],
        cwd=NODE_EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(line["ok"] and line["maxAbsDiff"] <= 1e-4 for line in lines), lines
    return lines


def skip_locally(why: str | None) -> None:
    """Skip with ``why`` (None: nothing missing); CI (``MOTIONLAB_CI``, set by .ci/run) fails instead."""
    if why is None:
        return
    if os.environ.get("MOTIONLAB_CI"):
        pytest.fail(f"this test must run in CI: {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    """The browser; CI fails where a local run skips."""
    skip_locally(missing_browser())
    browser = Chromium()
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def node_example() -> Path:
    """The Node.js example's directory, its npm dependencies installed; CI fails where a local run skips."""
    skip_locally(None if NODE else "node is not on PATH")
    installed = (NODE_EXAMPLE / "node_modules" / "onnxruntime-node").is_dir()
    skip_locally(
        None if installed else "the Node example's npm dependencies are missing: run `make js-example`"
    )
    return NODE_EXAMPLE
