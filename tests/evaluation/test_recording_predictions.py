"""evaluate.py on a tiny pose-CSV classifier: one answer per labelled segment (a recording's run of one
label) in the report, the metrics and the per-recording prediction file, all agreeing with the
per-window file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.csv
import pytest

from motionlab.evaluation import evaluate
from motionlab.training.run import train
from tests.helpers import POSE_TINY, compose_config, compose_entry


def test_a_classifier_answers_per_recording_in_report_metrics_and_files(tmp_path, sample_cache):
    cfg = compose_config([*POSE_TINY, "logger=none"], tmp_path / "outputs", sample_cache)
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    result = evaluate(
        compose_entry(
            "evaluate", [f"run={run_dir}", "trainer.accelerator=cpu", f"output_dir={tmp_path}", "split=all"]
        )
    )
    windows = pyarrow.csv.read_csv(result.predictions_path).to_pydict()
    rows = pyarrow.csv.read_csv(result.recordings_path).to_pydict()
    classes = [c.removeprefix("class_probs/") for c in windows if c.startswith("class_probs/")]
    # a sample video holds several activities in turn: one row per run of one label in a video, its
    # windows' mean probabilities
    recording, label = np.array(windows["recording"]), np.array(windows["true_label"])
    starts = np.flatnonzero(np.r_[True, (recording[1:] != recording[:-1]) | (label[1:] != label[:-1])])
    assert rows["recording"] == recording[starts].tolist() and len(starts) > len(set(recording))
    assert rows["windows"] == np.diff(np.append(starts, len(label))).tolist()
    assert rows["true_class"] == [classes[i] for i in label[starts]]
    window_probs = np.column_stack([windows[f"class_probs/{c}"] for c in classes])
    mean_probs = np.column_stack([rows[f"class_probs/{c}"] for c in classes])
    np.testing.assert_allclose(
        mean_probs, np.add.reduceat(window_probs, starts) / np.array(rows["windows"])[:, None], atol=1e-6
    )
    assert rows["predicted_class"] == [classes[i] for i in mean_probs.argmax(axis=1)]
    # the report's recording section and the logged metrics count the same answers
    correct = np.array(rows["predicted_class"]) == np.array(rows["true_class"])
    voted = np.array(rows["majority_vote_class"]) == np.array(rows["true_class"])
    recording = json.loads(result.report_path.read_text())["evaluation_report"]["recording"]
    assert recording["recordings"] == len(correct) and recording["accuracy"] == pytest.approx(correct.mean())
    assert recording["majority_vote"]["accuracy"] == pytest.approx(voted.mean())
    assert result.metrics["recording_acc"] == pytest.approx(correct.mean(), abs=1e-6)
    assert result.metrics["recording_f1"] == pytest.approx(recording["macro_f1"], abs=1e-6)
    assert result.recordings_path.name == "predictions_all_recordings.csv"
