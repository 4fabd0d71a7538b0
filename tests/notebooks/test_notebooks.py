"""The notebooks run end to end on tiny settings and report numbers that match the run's own files;
committed notebooks carry no outputs."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import numpy as np
import pytest
import torch

from motionlab.data import formats
from motionlab.data.recording import fill_gaps, split_at_gaps
from motionlab.data.workout.format import read_workout_session
from motionlab.inference.sliding import overlap_average, sliding_windows
from motionlab.runs.sources import load_task
from tests.helpers import REPO, TINY, applicable_overrides
from tests.notebooks.conftest import NOTEBOOKS, execute, printed_json

pytestmark = pytest.mark.slow

# One pytest-xdist worker runs them all, so the tiny run is trained and exported once.
pytestmark = pytest.mark.xdist_group("notebooks")

DATASETS = list(formats())  # every data format, found in src/motionlab/data/


def test_explore_data_shows_every_sample_dataset(exported_workout_run, tmp_path, sample_cache):
    data_sizes = [o for o in TINY if o.startswith("data.")]
    overrides = {  # each format's small sample; TINY's sizes last (the workout run was trained on them)
        name: [
            *formats()[name].small_sample,
            *applicable_overrides(data_sizes, [f"data={name}"], tmp_path, sample_cache),
        ]
        for name in DATASETS
    }
    notebook = execute(
        "explore_data.ipynb", {"DATASETS": DATASETS, "OVERRIDES": overrides, "CACHE_DIR": str(sample_cache)}
    )
    summary = printed_json(notebook)
    assert list(summary) == DATASETS
    # the workout datamodule of the notebook is the one the tiny run trained on (same sizes, same cache)
    train_split = json.loads((exported_workout_run.run_dir / "data_report.json").read_text())["splits"][
        "train"
    ]
    assert summary["workout"]["train_windows"] == train_split["windows"]
    assert summary["workout"]["class_counts"] == train_split["windows_per_class"]
    assert (summary["workout"]["window"], summary["workout"]["features"]) == (30, 25)
    for name in DATASETS:
        counts = summary[name]["class_counts"]
        assert counts is None or sum(counts.values()) == summary[name]["train_windows"], name
        assert summary[name]["augment_change"] > 0, (
            name
        )  # training batches are augmented, evaluation ones not
    assert summary["csv"]["class_counts"] and summary["tracking"]["class_counts"] is None


def test_review_run_matches_the_runs_summary(exported_workout_run):
    run = exported_workout_run
    summary = run.summary
    report = printed_json(execute("review_run.ipynb", {"RUN_DIR": str(run.run_dir)}))
    assert report["run_dir"] == str(run.run_dir) and report["best_score"] == summary["best_score"]
    history = [row["val/loss"] for row in summary["history"]]
    assert report["val_loss_curve"] == pytest.approx(history, rel=1e-6)  # read from the event files
    assert report["confusion_matrices"] == {
        "test_confusion_matrix": summary["details"]["test_confusion_matrix"]
    }
    # the best checkpoint evaluated again in the notebook gives the run's test metrics
    assert report["test_metrics"] == pytest.approx(summary["test_metrics"], rel=1e-5, abs=1e-6)


def test_onnx_inference_runs_a_test_session_without_torch_as_pytorch_does(exported_workout_run):
    run = exported_workout_run
    report = printed_json(execute("onnx_inference.ipynb", {"MODEL": str(run.model_path)}))
    assert report["torch_imported"] is False and report["model"] == str(run.model_path)

    # the session is one of the run's test sessions, read as the data pipeline reads it
    data_report = json.loads((run.run_dir / "data_report.json").read_text())
    task = load_task(run.summary["best_checkpoint"], "motionlab.tasks.WorkoutTask")
    recording = read_workout_session(report["session"], class_names=task.spec.class_names)
    assert recording.group in data_report["splits"]["test"]["groups"]
    pieces, _ = split_at_gaps(recording, max_gap=5)
    recording = max(pieces, key=lambda piece: len(piece.frames))
    fill_gaps(recording, max_gap=5)
    assert report["frames"] == len(recording.frames)

    # PyTorch on the same sliding windows: the same class probabilities and repetition count
    starts, windows = sliding_windows(recording.frames, task.spec.window, task.spec.window // 4)
    assert report["window_starts"] == starts.tolist()
    with torch.no_grad():
        outputs = task.predict_outputs(torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32)))
    mean_probs = outputs["exercise_probs"].mean(dim=0).numpy()
    np.testing.assert_allclose(report["mean_class_probs"], mean_probs, atol=1e-5)
    rep_probability = overlap_average(outputs["rep_start_prob"].numpy(), starts, len(recording.frames))
    assert report["reps_counted"] == len(task.find_reps(rep_probability))


def clean_notebooks(*args: str) -> subprocess.CompletedProcess:
    """``notebooks/clean.py`` as ``make notebooks-clean`` runs it."""
    return subprocess.run(
        [sys.executable, str(NOTEBOOKS / "clean.py"), *args], cwd=REPO, capture_output=True, text=True
    )


def test_committed_notebooks_hold_no_outputs():
    names = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))
    assert names == ["explore_data.ipynb", "onnx_inference.ipynb", "review_run.ipynb"]
    done = clean_notebooks("--check")
    assert done.returncode == 0, done.stdout + done.stderr
    for name in names:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(not cell.outputs and cell.execution_count is None for cell in code), name
        assert "parameters" in code[0].metadata["tags"], name  # the cell the tests inject settings after


def test_clean_strips_what_running_a_notebook_adds(tmp_path):
    original = nbformat.read(NOTEBOOKS / "review_run.ipynb", as_version=4)
    executed = nbformat.read(NOTEBOOKS / "review_run.ipynb", as_version=4)
    for count, cell in enumerate(c for c in executed.cells if c.cell_type == "code"):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
        cell.execution_count = count + 1
        cell.metadata["scrolled"] = True
    executed.metadata["widgets"] = {"state": {}}
    path = tmp_path / "review_run.ipynb"
    nbformat.write(executed, path)

    check = clean_notebooks("--check", str(path))
    assert check.returncode == 1 and str(path) in check.stdout
    assert nbformat.read(path, as_version=4) == executed  # --check writes nothing
    assert clean_notebooks(str(path)).returncode == 0
    assert nbformat.read(path, as_version=4) == original
    assert clean_notebooks("--check", str(path)).returncode == 0
