"""evaluate.py on a tiny workout run: other splits, another checkpoint, and data that does not fit."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.csv
import pytest
from omegaconf import OmegaConf

from motionlab.errors import ConfigError
from motionlab.evaluation import evaluate
from motionlab.evaluation.data import check_data_fits, evaluation_data_config, load_evaluation_data
from motionlab.runs.sources import load_task
from tests.helpers import compose_entry

pytestmark = pytest.mark.xdist_group("evaluation")

WORKOUT = "motionlab.tasks.WorkoutTask"


def _evaluate(run_dir, output_dir, *overrides):
    return evaluate(
        compose_entry(
            "evaluate", [f"run={run_dir}", "trainer.accelerator=cpu", f"output_dir={output_dir}", *overrides]
        )
    )


def _best(run_dir) -> str:
    return json.loads((run_dir / "summary.json").read_text())["best_checkpoint"]


def test_all_splits_with_another_checkpoint(workout_runs, tmp_path):
    run_dir = workout_runs[0]
    last = run_dir / "checkpoints" / "last.ckpt"
    result = _evaluate(run_dir, tmp_path, "split=all", f"checkpoint={last}")
    report = json.loads(result.report_path.read_text())
    counts = json.loads((run_dir / "summary.json").read_text())["data"]
    table = pyarrow.csv.read_csv(result.predictions_path).to_pydict()
    splits = np.array(table["split"])
    expected = [counts[name]["windows"] for name in ("train", "val", "test")]
    assert [int((splits == name).sum()) for name in ("train", "val", "test")] == expected
    assert splits.tolist() == sorted(splits.tolist(), key=["train", "val", "test"].index)
    assert report["data"]["windows"] == sum(expected) and report["split"] == "all"
    assert report["model"]["checkpoint"] == str(last) and report["training_test_metrics"] == {}
    # the metrics are those of all windows: accuracy recomputed from the file
    probs = np.column_stack([table[c] for c in table if c.startswith("exercise_probs/")])
    accuracy = (probs.argmax(axis=1) == np.array(table["true_label"])).mean()
    assert result.metrics["acc"] == pytest.approx(accuracy, abs=1e-6)
    assert result.report_path.name == "evaluation_all.json" and result.predictions_path.suffix == ".csv"


def test_another_split_is_evaluated_on_its_own_whole_recordings(workout_runs, tmp_path):
    """The repetition counts of ``split=val`` are those of the validation recordings: the task's
    whole-recording evaluation is given the recordings of the windows it tests."""
    result = _evaluate(workout_runs[0], tmp_path, "split=val")
    table = pyarrow.csv.read_csv(result.predictions_path).to_pydict()
    counted = [entry["recording"] for entry in result.report["details"]["rep_counts"]]
    assert set(table["split"]) == {"val"}
    assert counted == list(dict.fromkeys(table["recording"]))
    assert len(counted) == result.report["data"]["recordings"]
    assert {"rep_count_mae", "rep_count_error_pct"} <= set(result.metrics)


def test_data_with_other_classes_or_window_is_refused_with_what_differs(workout_runs, tmp_path):
    classes = "[squat,push_up,pull_up,dip,no_exercise]"
    with pytest.raises(ConfigError, match=r"classes of .* differ from the model's"):
        _evaluate(workout_runs[0], tmp_path, f"+data.classes={classes}")
    with pytest.raises(ConfigError, match=r"data\.window: is 20 frames, the model takes 30"):
        _evaluate(workout_runs[0], tmp_path, "+data.window=20")
    with pytest.raises(ConfigError, match="unknown split 'holdout'"):
        _evaluate(workout_runs[0], tmp_path, "split=holdout")


def test_data_with_other_features_is_refused_naming_them(workout_runs):
    task = load_task(_best(workout_runs[0]), WORKOUT)
    run_data = OmegaConf.load(workout_runs[0] / "config.yaml").data
    datamodule = load_evaluation_data(evaluation_data_config(run_data, {}, task), task)
    spec = dict(task.hparams.data_spec)
    names = spec["feature_names"]
    for features, problem in (
        ([*names[:-1], "elbow_flare"], rf"missing \['elbow_flare'\], extra \['{names[-1]}'\]"),
        ([names[1], names[0], *names[2:]], "the same columns in another order"),
    ):
        other = type(task)(**{**task.hparams, "data_spec": {**spec, "feature_names": features}})
        with pytest.raises(ConfigError, match=problem):
            check_data_fits(datamodule, other)


def test_a_null_class_list_becomes_the_models_classes(workout_runs):
    task = load_task(_best(workout_runs[0]), WORKOUT)
    run_data = {"_target_": "x", "classes": None, "path": "a"}
    merged = evaluation_data_config(OmegaConf.create(run_data), {"path": "b"}, task)
    assert merged.classes == task.spec.class_names and merged.path == "b"
