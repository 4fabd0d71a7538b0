"""Real public data sets: converted offline from aeon's wheel, read by the engine, learned by the recipe."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from motionlab.datasets.registry import real_dataset, real_datasets
from motionlab.training.run import train
from tests.helpers import REPO, compose_config

pytest.importorskip(
    "aeon", reason="the real data sets ship in aeon's wheel: pip install 'motionlab[classical]'"
)


@pytest.fixture(scope="module")
def real_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    for dataset in real_datasets().values():
        dataset.ensure(root)
    return root


def test_every_set_has_a_recipe_and_converts(real_root):
    assert set(real_datasets()) >= {"basic_motions", "gun_point"}
    for dataset in real_datasets().values():
        assert (
            REPO / "configs" / "experiment" / f"{dataset.train_overrides('x')[0].split('=')[1]}.yaml"
        ).is_file()
        provenance = json.loads((dataset.csv_path(real_root).parent / "provenance.json").read_text())
        assert provenance["licence"] and provenance["citation"] and provenance["held_out"]


@pytest.mark.parametrize(
    ("name", "recordings", "frames", "classes", "test"),
    [("basic_motions", 80, 8000, 4, 40), ("gun_point", 200, 30000, 2, 150)],
)
def test_converted_csv_keeps_every_case_and_the_archive_test_split(
    real_root, name, recordings, frames, classes, test
):
    with real_dataset(name).csv_path(real_root).open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == frames
    split_of = {row["recording"]: row["split"] for row in rows}
    assert len(split_of) == recordings
    assert sum(split == "test" for split in split_of.values()) == test
    assert all(name.startswith("test_") == (split == "test") for name, split in split_of.items())
    assert len({row["label"] for row in rows}) == classes


def test_cli_lists_and_converts(tmp_path):
    listed = subprocess.run(
        [sys.executable, "-m", "motionlab.datasets"], capture_output=True, text=True, check=True
    )
    assert "basic_motions" in listed.stdout and "gun_point" in listed.stdout
    done = subprocess.run(
        [sys.executable, "-m", "motionlab.datasets", "convert", "basic_motions", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert (tmp_path / "basic_motions" / "basic_motions.csv").is_file()
    assert "experiment=imu" in done.stdout and "data.split.column=split" in done.stdout


@pytest.mark.slow
def test_imu_recipe_learns_held_out_recordings_of_real_smartwatch_data(real_root, tmp_path):
    """The recommended IMU recipe, a few epochs on BasicMotions: far above chance (0.25) on the 40
    held-out recordings, per window and per recording."""
    dataset = real_dataset("basic_motions")
    overrides = [
        *dataset.train_overrides(dataset.csv_path(real_root)),
        "trainer=cpu",
        "trainer.max_epochs=5",
        "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false",
        "logger=none",
        "baseline.minirocket.enabled=false",
        "seed=1",
    ]
    cfg = compose_config(overrides, tmp_path, tmp_path / "cache")
    train(cfg)
    summary = json.loads((tmp_path / "imu" / "run" / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["data"]["test"]["recordings"] == 40
    assert summary["test_metrics"]["test/acc"] > 0.85
