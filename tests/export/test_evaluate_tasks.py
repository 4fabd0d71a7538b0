"""evaluate.py on every task, from the tiny trained runs the export tests share: the run's own test
metrics reproduced, one prediction row per window equal to the model's outputs, the inverse of each
task's app post-processing, and an ensemble of a run with itself equal to the run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet
import pytest
import torch

from motionlab.evaluation import evaluate
from motionlab.evaluation.data import load_evaluation_data
from motionlab.export.pipeline import load_test_split
from tests.export.conftest import ExportedRun
from tests.helpers import compose_entry


def evaluate_run(exported_run: ExportedRun, output_dir: Path, *overrides: str):
    return evaluate(
        compose_entry(
            "evaluate",
            [
                f"run={exported_run.run_dir}",
                "trainer.accelerator=cpu",
                f"output_dir={output_dir}",
                *overrides,
            ],
        )
    )


@pytest.fixture(scope="module")
def evaluated(exported_run: ExportedRun, tmp_path_factory) -> tuple:
    """The run evaluated on its test split, and an ensemble of the run with itself."""
    output = tmp_path_factory.mktemp(f"evaluate-{exported_run.data}")
    single = evaluate_run(exported_run, output / "single", "predictions.format=parquet")
    twice = evaluate(
        compose_entry(
            "evaluate",
            [
                f"ensemble.runs=[{exported_run.run_dir},{exported_run.run_dir}]",
                "trainer.accelerator=cpu",
                f"output_dir={output / 'ensemble'}",
                "predictions.format=parquet",
            ],
        )
    )
    return single, twice


def test_evaluation_reproduces_the_runs_test_metrics(exported_run, evaluated):
    single, _ = evaluated
    summary = json.loads((exported_run.run_dir / "summary.json").read_text())
    expected = {name.removeprefix("test/"): value for name, value in summary["test_metrics"].items()}
    assert expected and set(single.metrics) == set(expected)
    for name, value in expected.items():
        assert single.metrics[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    report = json.loads(single.report_path.read_text())
    assert report["split"] == "test" and report["training_test_metrics"] == expected
    assert report["model"] == {"run_dir": str(exported_run.run_dir), "checkpoint": summary["best_checkpoint"]}


def test_predictions_have_one_row_per_window_with_its_recording_times_and_outputs(exported_run, evaluated):
    single, _ = evaluated
    table = pyarrow.parquet.read_table(single.predictions_path).to_pydict()
    task = exported_run.graph().task
    datamodule = load_evaluation_data(exported_run.config.data, task)
    windows = datamodule.windows["test"]
    assert (
        len(table["recording"])
        == len(windows)
        == json.loads(single.report_path.read_text())["data"]["windows"]
    )
    assert set(table["split"]) == {"test"}

    # every row points at the frames of its window in its recording
    recordings = {r.name: r for r in windows.recordings}
    raw = windows.gather(torch.arange(len(windows)))["x"].numpy()
    for row in np.linspace(0, len(windows) - 1, 7).round().astype(int):
        recording = recordings[table["recording"][row]]
        start, end = table["start_frame"][row], table["end_frame"][row]
        assert recording.group == table["group"][row] and end - start == windows.window
        offset = recording.meta.get("first_frame", 0)
        np.testing.assert_array_equal(recording.frames[start - offset : end - offset], raw[row])
        times = recording.meta.get("time")
        expected_start = times[start] if times is not None else start / recording.fps
        assert table["start_time_s"][row] == pytest.approx(expected_start)
        expected_end = (
            times[end - 1] if times is not None else (end - 1) / recording.fps
        ) + 1 / recording.fps
        assert table["end_time_s"][row] == pytest.approx(expected_end)

    # the values are the model's outputs on the test windows, shaped by the datamodule as in trainer.test
    inputs = torch.from_numpy(load_test_split(exported_run.config, len(windows)).windows)
    with torch.no_grad():
        expected = task.predict_outputs(inputs)
    labels = task.output_labels()
    for name, values in expected.items():
        flat = values.reshape(len(windows), -1).numpy()
        columns = [c for c in table if c == name or c.startswith(f"{name}/")]
        assert len(columns) == flat.shape[1], name
        if name in labels:
            assert columns[-1].endswith(f"/{labels[name][-1]}")
        np.testing.assert_allclose(np.column_stack([table[c] for c in columns]), flat, rtol=1e-5, atol=1e-6)
    assert any(column.startswith("true_") for column in table)


def test_raw_outputs_invert_the_app_outputs(exported_run: ExportedRun):
    """``app_outputs(raw_outputs(app))`` gives ``app`` back, on real test windows."""
    task = exported_run.graph().task
    inputs = torch.from_numpy(load_test_split(exported_run.config, 64).windows)
    with torch.no_grad():
        app = task.predict_outputs(inputs)
        again = task.app_outputs(task.raw_outputs(app, inputs), inputs)
    for name, values in app.items():
        torch.testing.assert_close(again[name], values, rtol=1e-4, atol=1e-5)


def test_an_ensemble_of_a_run_with_itself_is_the_run(exported_run, evaluated):
    single, twice = evaluated
    assert set(twice.metrics) == set(single.metrics)
    for name, value in single.metrics.items():
        assert twice.metrics[name] == pytest.approx(value, rel=1e-4, abs=1e-5), name
    one = pyarrow.parquet.read_table(single.predictions_path)
    two = pyarrow.parquet.read_table(twice.predictions_path)
    assert one.column_names == two.column_names
    for column in one.column_names:
        a, b = one[column].to_numpy(), two[column].to_numpy()
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7, err_msg=column)
        else:
            np.testing.assert_array_equal(b, a, err_msg=column)
    members = json.loads(twice.report_path.read_text())["model"]["ensemble"]["members"]
    assert [m["run_dir"] for m in members] == [str(exported_run.run_dir)] * 2
