"""Results per person: a real run on a tiny sensor CSV of five people (two trained on, one validated,
two held out), its report's ``groups`` section, and ``evaluate.py`` on every person, each number
recomputed from the written prediction files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.csv
import pytest
from sklearn.metrics import f1_score

from motionlab.cli.evaluate import evaluate as evaluate_cli
from motionlab.evaluation import evaluate
from motionlab.training.run import train
from tests.helpers import compose_config, compose_entry

SPLIT = {"s1": "train", "s2": "train", "s3": "val", "s4": "test", "s5": "test"}
CLASSES = ("rest", "wave")


def write_people(path: Path) -> None:
    """Per person, two recordings of each class, 60 frames of 3 channels at 20 Hz: 'wave' oscillates
    (weakly for s5, the person the model should find hardest), 'rest' is noise."""
    rng = np.random.default_rng(0)
    t = np.arange(60) / 20
    rows = ["recording,split,subject,label,frame,a,b,c"]
    for subject, split in SPLIT.items():
        strength = 0.15 if subject == "s5" else 1.0
        for label in CLASSES:
            for take in range(2):
                signal = rng.normal(scale=0.3, size=(60, 3))
                if label == "wave":
                    signal += strength * np.sin(2 * np.pi * 2 * t + rng.uniform(0, 6))[:, None]
                name = f"{subject}_{label}_{take}"
                rows += [
                    f"{name},{split},{subject},{label},{i},{x:.4f},{y:.4f},{z:.4f}"
                    for i, (x, y, z) in enumerate(signal)
                ]
    path.write_text("\n".join(rows) + "\n")


def test_results_per_person_in_the_report_summary_and_evaluate(tmp_path, sample_cache, capsys):
    data = tmp_path / "people.csv"
    write_people(data)
    overrides = [
        "data=csv",
        f"data.path={data}",
        "data.columns.recording=recording",
        "data.split.column=split",
        "data.fps=20",
        "data.window=20",
        "data.stride=10",
        "data.eval_stride=10",
        "model=tcn",
        "model.channels=8",
        "model.num_blocks=1",
        "task.hidden=[8]",
        "trainer=cpu",
        "trainer.max_epochs=3",
        "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false",
        "logger=none",
        "baseline.minirocket.enabled=false",
    ]
    cfg = compose_config(overrides, tmp_path / "outputs", sample_cache)
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    report = json.loads((run_dir / "evaluation_report.json").read_text())
    summary = json.loads((run_dir / "summary.json").read_text())
    groups = report["groups"]
    assert [row["group"] for row in groups["table"]] == sorted(
        ["s4", "s5"], key=lambda g: next(r["accuracy"] for r in groups["table"] if r["group"] == g)
    )
    assert sum(row["windows"] for row in groups["table"]) == report["windows"]
    assert sum(row["recordings"] for row in groups["table"]) == report["recording"]["recordings"] == 8
    worst = min(groups["table"], key=lambda row: row["accuracy"])
    assert groups["summary"]["worst"]["accuracy"] == worst["accuracy"]
    assert summary["groups"] == groups["summary"] and "table" not in summary["groups"]
    assert summary["test_metrics"]["test/worst_group_acc"] == pytest.approx(worst["accuracy"], abs=1e-6)

    # evaluate.py on the run's test split reports the same groups from the same code
    evaluate(
        compose_entry("evaluate", [f"run={run_dir}", "trainer.accelerator=cpu", f"output_dir={tmp_path}"])
    )
    again = json.loads((tmp_path / "evaluation_test.json").read_text())["evaluation_report"]["groups"]
    assert again == groups

    evaluate_cli(
        compose_entry(
            "evaluate", [f"run={run_dir}", "trainer.accelerator=cpu", f"output_dir={tmp_path}", "split=all"]
        )
    )
    printed = capsys.readouterr().out
    written = json.loads((tmp_path / "evaluation_all.json").read_text())["evaluation_report"]["groups"]
    table = written["table"]
    assert [row["group"] for row in table] != [] and {row["group"] for row in table} == set(SPLIT)
    # recomputed from the prediction files: windows per person, and labelled segments per person
    windows = pyarrow.csv.read_csv(tmp_path / "predictions_all.csv").to_pydict()
    segments = pyarrow.csv.read_csv(tmp_path / "predictions_all_recordings.csv").to_pydict()
    probs = np.column_stack([windows[f"class_probs/{c}"] for c in CLASSES])
    predicted, truth = probs.argmax(axis=1), np.array(windows["true_label"])
    group = np.array(windows["group"])
    right = np.array(segments["predicted_class"]) == np.array(segments["true_class"])
    for row in table:
        mine = group == row["group"]
        assert row["windows"] == mine.sum()
        assert row["accuracy"] == pytest.approx((predicted[mine] == truth[mine]).mean())
        present = np.union1d(truth[mine], predicted[mine])
        assert row["macro_f1"] == pytest.approx(
            f1_score(truth[mine], predicted[mine], labels=present, average="macro")
        )
        theirs = np.array(segments["group"]) == row["group"]
        assert (row["recordings"], row["recording_accuracy"]) == (4, pytest.approx(right[theirs].mean()))
    accuracies = [row["accuracy"] for row in table]
    assert accuracies == sorted(accuracies) and written["summary"]["worst"]["accuracy"] == min(accuracies)
    assert written["summary"]["accuracy"]["mean"] == pytest.approx(np.mean(accuracies))
    # evaluate.py prints the table after the metrics, worst first
    lines = printed.splitlines()
    start = lines.index("per group (5), worst first:")
    assert printed.index('"worst_group_acc"') < printed.index("per group (5)")
    assert [line.split()[0] for line in lines[start + 2 : start + 7]] == [row["group"] for row in table]
    assert f"{table[0]['accuracy']:.3f}" in lines[start + 2]
