"""The MiniRocket baseline: its API on hand-made windows, and a run without aeon (blocked from import
in a real subprocess) that goes on with a one-line note."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from motionlab.baselines.minirocket import (
    aeon_layout,
    aeon_missing,
    fit_minirocket,
    score_minirocket,
)
from motionlab.baselines.report import training_subset
from tests.helpers import POSE_TINY, REPO

needs_aeon = pytest.mark.skipif(
    aeon_missing() is not None, reason="the optional extra 'classical' is missing"
)


def windows(count: int, frames: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two features; class 0 holds still, class 1 oscillates (phase at random): ``[N, T, 2]``."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 2
    t = np.arange(frames)[None, :, None]
    phase = rng.uniform(0, 2 * np.pi, size=(count, 1, 1))
    x = np.where(labels[:, None, None] == 1, np.sin(t * 1.3 + phase), 0.0) + 0.05 * rng.normal(
        size=(count, frames, 2)
    )
    return x.astype(np.float32), labels


@needs_aeon
def test_fit_and_score_on_windows_shorter_than_the_kernels():
    """6-frame windows (padded to MiniRocket's 9); a class vocabulary of 3 whose third class never
    occurs in training scores -inf, and the two others are told apart on unseen windows."""
    x, y = windows(40, 6, seed=0)
    model = fit_minirocket(x, y, num_classes=3, seed=0, n_kernels=84)
    assert model.windows == 40 and model.fit_seconds > 0 and model.fit_cpu_seconds > 0
    x_test, y_test = windows(30, 6, seed=1)
    scores = score_minirocket(model, x_test)
    assert scores.shape == (30, 3) and np.isneginf(scores[:, 2]).all()
    assert (scores.argmax(axis=1) == y_test).all()
    # two classes: the ridge's one decision score d becomes [-d, d]
    features = model.scaler.transform(model.transform.transform(aeon_layout(x_test)))
    np.testing.assert_allclose(scores[:, 1], model.ridge.decision_function(features), rtol=1e-5)


@needs_aeon
def test_torchs_thread_count_is_the_same_after_fitting_and_scoring():
    """aeon resets numba's OpenMP threads to every core after each transform; torch shares them."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        x, y = windows(20, 12, seed=0)
        score_minirocket(fit_minirocket(x, y, num_classes=2, seed=0, n_kernels=84), x)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(previous)


@needs_aeon
def test_one_class_is_refused():
    x, _ = windows(10, 12, seed=0)
    with pytest.raises(ValueError, match="at least 2 classes"):
        fit_minirocket(x, np.zeros(10, dtype=int), num_classes=2, n_kernels=84)


def test_training_windows_are_capped_by_a_seeded_random_subset():
    assert training_subset(5, None, seed=0).tolist() == [0, 1, 2, 3, 4]
    chosen = training_subset(1000, 100, seed=3)
    assert len(chosen) == 100 and len(set(chosen.tolist())) == 100 and bool((chosen.diff() > 0).all())
    assert training_subset(1000, 100, seed=3).tolist() == chosen.tolist()


BLOCKED_RUN = textwrap.dedent(
    """
    import importlib.abc, logging, sys
    from pathlib import Path

    class BlockAeon(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] == "aeon":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, BlockAeon())
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    from motionlab.training.run import train
    from tests.helpers import compose_config

    train(compose_config(sys.argv[3:], Path(sys.argv[1]), Path(sys.argv[2])))
    assert "aeon" not in sys.modules
    """
)

pytestmark = pytest.mark.slow


def test_without_aeon_the_run_goes_on_with_a_one_line_note(tmp_path, sample_cache):
    with_aeon_on = ["logger=none", "baseline.minirocket.enabled=true"]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCKED_RUN,
            str(tmp_path / "outputs"),
            str(sample_cache),
            *POSE_TINY,
            *with_aeon_on,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    notes = [line for line in done.stdout.splitlines() if line.startswith("MiniRocket baseline")]
    assert notes == [
        "MiniRocket baseline skipped: no MiniRocket baseline: aeon cannot be imported (No module named "
        "'aeon'); pip install -e '.[classical]'"
    ]
    (report_path,) = (tmp_path / "outputs").glob("*/run/evaluation_report.json")
    report = json.loads(report_path.read_text())
    assert report["baselines"] == {
        "minirocket": {"skipped": notes[0].removeprefix("MiniRocket baseline skipped: ")}
    }
    assert report["recording"]["recordings"] >= 1 and 0 <= report["recording"]["accuracy"] <= 1
    summary = json.loads((report_path.parent / "summary.json").read_text())
    assert summary["baselines"] == report["baselines"] and "test/recording_acc" in summary["test_metrics"]
