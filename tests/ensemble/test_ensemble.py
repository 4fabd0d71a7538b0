"""Ensembles of real tiny workout runs: averaging, evaluation, one verified ONNX model, and the three
ways to name members (runs, a sweep's top-k trials, a cross-validation's folds)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet
import pytest
import torch
from omegaconf import OmegaConf

from motionlab.ensemble import build_ensemble
from motionlab.ensemble.module import check_compatible
from motionlab.errors import ConfigError, DataFormatError
from motionlab.evaluation import evaluate
from motionlab.evaluation.run import groups_seen_in_training
from motionlab.export.pipeline import export_model, load_test_split
from motionlab.inference.onnx_model import OnnxMotionModel
from motionlab.runs.ensembles import resolve_ensemble
from motionlab.runs.sources import load_task
from tests.helpers import compose_entry

pytestmark = pytest.mark.xdist_group("evaluation")


@pytest.fixture(scope="module")
def evaluations(workout_runs, tmp_path_factory) -> dict:
    """Each member and their ensemble evaluated on the test split (predictions as Parquet)."""
    output = tmp_path_factory.mktemp("ensemble-evaluations")
    sources = {
        "a": [f"run={workout_runs[0]}"],
        "b": [f"run={workout_runs[1]}"],
        "ab": [f"ensemble.runs=[{workout_runs[0]},{workout_runs[1]}]"],
    }
    return {
        name: evaluate(
            compose_entry(
                "evaluate",
                [
                    *source,
                    "trainer.accelerator=cpu",
                    f"output_dir={output / name}",
                    "predictions.format=parquet",
                ],
            )
        )
        for name, source in sources.items()
    }


def _columns(result) -> dict[str, np.ndarray]:
    return {name: column.to_numpy() for name, column in zip(*_table(result), strict=True)}


def _table(result):
    table = pyarrow.parquet.read_table(result.predictions_path)
    return table.column_names, table.columns


def test_an_ensemble_averages_its_members_probabilities(evaluations):
    a, b, ab = (_columns(evaluations[name]) for name in ("a", "b", "ab"))
    outputs = [name for name in ab if name.startswith(("exercise_probs/", "rep_start_prob/"))]
    assert len(outputs) == 5 + 30
    for name in outputs:
        np.testing.assert_allclose(ab[name], (a[name] + b[name]) / 2, rtol=1e-5, atol=1e-7, err_msg=name)
        assert np.all(ab[name] >= np.minimum(a[name], b[name]) - 1e-7)
        assert np.all(ab[name] <= np.maximum(a[name], b[name]) + 1e-7)
    assert max(np.abs(ab[name] - a[name]).max() for name in outputs) > 1e-3
    probs = np.column_stack([ab[name] for name in outputs[:5]])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    for key in ("recording", "start_frame", "true_label", "true_label_name"):
        np.testing.assert_array_equal(ab[key], a[key])


def test_an_ensembles_metrics_are_the_tasks_metrics_of_the_average(evaluations):
    """Accuracy of the averaged probabilities, recomputed from the prediction file."""
    metrics = {name: result.metrics for name, result in evaluations.items()}
    assert set(metrics["ab"]) == set(metrics["a"])
    assert metrics["ab"]["loss"] not in (metrics["a"]["loss"], metrics["b"]["loss"])
    for name, result in evaluations.items():
        columns = _columns(result)
        probs = np.column_stack([columns[c] for c in columns if c.startswith("exercise_probs/")])
        accuracy = float((probs.argmax(axis=1) == columns["true_label"]).mean())
        assert result.metrics["acc"] == pytest.approx(accuracy, abs=1e-6), name
    report = json.loads(evaluations["ab"].report_path.read_text())
    assert report["model"]["ensemble"]["kind"] == "runs"
    assert report["training_test_metrics"] == {}


def test_evaluation_names_the_evaluated_groups_that_its_runs_trained_on(evaluations, workout_runs):
    """Both runs hold out the same test subjects, so their ensemble's test evaluation is clean; groups
    from a run's training or validation split are named per run (how a CV-fold ensemble is caught)."""
    assert json.loads(evaluations["ab"].report_path.read_text())["groups_seen_in_training"] == {}
    splits = json.loads((workout_runs[0] / "data_report.json").read_text())["splits"]
    train, val, test = (set(splits[name]["groups"]) for name in ("train", "val", "test"))
    assert train and val and test and not (train | val) & test
    seen = groups_seen_in_training(workout_runs, train | test | {"someone_else"})
    assert seen == {str(run): sorted(train) for run in workout_runs}
    assert groups_seen_in_training(workout_runs, test) == {}


def test_the_ensemble_exports_as_one_verified_onnx_model(workout_runs, tmp_path):
    cfg = compose_entry(
        "export",
        [
            f"ensemble.runs=[{workout_runs[0]},{workout_runs[1]}]",
            f"export.output_dir={tmp_path}",
            "quantize.enabled=false",
            "benchmark.enabled=false",
            "verify.windows=64",
            "export.fresh_process=false",  # TCN members: no recurrent export patches to isolate
        ],
    )
    result = export_model(resolve_ensemble(cfg.ensemble, cfg.paths.log_dir, cfg.sweeps_dir), cfg)
    card = result.card
    assert card["verification"]["passed"]
    metadata = OnnxMotionModel(result.model_path).metadata
    assert [m["run_dir"] for m in metadata["ensemble"]["members"]] == [str(r) for r in workout_runs]
    assert metadata["source"]["ensemble"]["kind"] == "runs" and metadata["task"] == "WorkoutTask"
    tasks = [
        load_task(m["checkpoint"], "motionlab.tasks.workout.WorkoutTask")
        for m in metadata["ensemble"]["members"]
    ]
    stats = metadata["normalization"]["per_member"]
    for task, entry in zip(tasks, stats, strict=True):
        np.testing.assert_allclose(entry["mean"], task.normalizer.mean.numpy())

    # independently of the card: ONNX Runtime vs the mean of the members in PyTorch
    config = OmegaConf.load(workout_runs[0] / "config.yaml")
    windows = load_test_split(config, 40).windows
    onnx_out = OnnxMotionModel(result.model_path, threads=1).predict(windows)
    with torch.no_grad():
        members = [task.predict_outputs(torch.from_numpy(windows)) for task in tasks]
    for name in ("exercise_probs", "rep_start_prob"):
        expected = (members[0][name] + members[1][name]).numpy() / 2
        np.testing.assert_allclose(onnx_out[name], expected, atol=1e-4, rtol=1e-4)


def _trial(study_dir: Path, run_dir: Path, number: int, score: float) -> Path:
    """A sweep trial directory pointing at a real run's checkpoint, with its own monitored value."""
    trial = study_dir / f"trial_{number}"
    trial.mkdir(parents=True)
    shutil.copy(run_dir / "config.yaml", trial / "config.yaml")
    summary = json.loads((run_dir / "summary.json").read_text())
    (trial / "summary.json").write_text(json.dumps({**summary, "best_score": score}))
    return trial


def test_a_sweeps_top_k_trials_are_its_best_by_the_monitor(workout_runs, tmp_path):
    study = tmp_path / "sweeps" / "study"
    trials = [_trial(study, workout_runs[i % 2], i, score) for i, score in enumerate([0.5, 0.2, 0.9, 0.3])]
    (study / "trial_4").mkdir()
    (study / "trial_4" / "summary.json").write_text(json.dumps({"status": "pruned", "best_score": 0.1}))
    settings = OmegaConf.create({"runs": [], "sweep": "study", "top_k": 3, "cv": None, "dir": None})
    source = resolve_ensemble(settings, tmp_path, tmp_path / "sweeps")
    assert [m.run_dir for m in source.members] == [trials[1], trials[3], trials[0]]
    assert source.run_dir == study / "ensemble_top3"
    assert source.monitor["member_values"] == [0.2, 0.3, 0.5]


def test_a_cross_validations_folds_are_the_members(workout_runs, tmp_path):
    cv_dir = tmp_path / "cv"
    cv_dir.mkdir()
    folds = [
        {
            "fold": k,
            "run_dir": str(r),
            "best_checkpoint": json.loads((r / "summary.json").read_text())["best_checkpoint"],
        }
        for k, r in enumerate(workout_runs)
    ]
    (cv_dir / "cv_summary.json").write_text(json.dumps({"folds": folds, "metrics": {}}))
    settings = OmegaConf.create({"runs": [], "sweep": None, "top_k": 3, "cv": str(cv_dir), "dir": None})
    source = resolve_ensemble(settings, tmp_path, tmp_path)
    assert [m.run_dir for m in source.members] == workout_runs
    assert [str(m.checkpoint) for m in source.members] == [f["best_checkpoint"] for f in folds]
    assert source.run_dir == cv_dir / "ensemble" and source.describe()["ensemble"]["kind"] == "cv"

    (cv_dir / "cv_summary.json").write_text(json.dumps({"folds": [{"fold": 0}]}))
    with pytest.raises(DataFormatError, match=r"folds\[0\] names no run_dir"):
        resolve_ensemble(settings, tmp_path, tmp_path)


def test_members_of_different_tasks_or_classes_are_refused(workout_runs):
    task = load_task(
        json.loads((workout_runs[0] / "summary.json").read_text())["best_checkpoint"],
        "motionlab.tasks.WorkoutTask",
    )
    spec = dict(task.hparams.data_spec)
    classes = [*spec["class_names"][1:], spec["class_names"][0]]
    other = type(task)(**{**task.hparams, "data_spec": {**spec, "class_names": classes}})
    with pytest.raises(ConfigError, match="class_names"):
        check_compatible([task, other], ["a", "b"])
    with pytest.raises(ConfigError, match="at least two"):
        build_ensemble([task], [{"run_dir": "a"}])
    settings = OmegaConf.create(
        {"runs": [str(workout_runs[0])], "sweep": "s", "top_k": 3, "cv": None, "dir": None}
    )
    with pytest.raises(ConfigError, match="runs and sweep"):
        resolve_ensemble(settings, ".", ".")
