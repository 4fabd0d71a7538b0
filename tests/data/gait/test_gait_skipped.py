"""Broken gait landmark files are listed in data_report.json, and too many of them stop the run."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hydra.utils import instantiate

from motionlab.data.gait.annotations import annotation_path
from motionlab.data.gait.synthetic import generate_gait_dataset
from motionlab.errors import DataFormatError
from tests.helpers import GAIT_TINY


@pytest.fixture
def folder_with_broken_files(tmp_path):
    folder = tmp_path / "runs"
    files = generate_gait_dataset(
        folder, num_runners=6, videos_per_runner=1, seconds=2, dropout_rate=0, long_gap_share=0
    )
    annotation = annotation_path(files[0]).read_text()
    good = np.load(files[0])["landmarks"] if files[0].suffix == ".npz" else np.load(files[0])
    broken = {
        "pickled.npy": pickle.dumps({"landmarks": good}),
        "empty.npy": b"",
    }
    for name, content in broken.items():
        (folder / name).write_bytes(content)
    np.save(folder / "shape.npy", good[:, :10])
    huge = good.astype(np.float64)
    huge[3, 0, 0] = 1e308
    np.save(folder / "huge.npy", huge)
    for name in ("pickled", "empty", "shape", "huge"):
        annotation_path(folder / f"{name}.npy").write_text(annotation)
    return folder


def test_broken_landmark_files_are_reported_and_too_many_stop_the_run(make_config, folder_with_broken_files):
    def setup(*overrides):
        cfg = make_config(*GAIT_TINY, f"data.path={folder_with_broken_files}", *overrides, tiny=False)
        datamodule = instantiate(cfg.data, _convert_="all")
        datamodule.setup("fit")
        return datamodule

    with pytest.raises(
        DataFormatError, match=r"4 of 10 inputs could not be read, more than data\.max_skipped=0\.1"
    ):
        setup()
    report = setup("data.max_skipped=0.5", "data.split.fractions=[0.34,0.33,0.33]").report.to_dict()
    skipped = {item["recording"]: item["reason"] for item in report["recordings"]["skipped"]}
    assert set(skipped) == {"pickled", "empty", "shape", "huge"}
    assert (
        "not a readable NumPy file" in skipped["pickled"] and "not a readable NumPy file" in skipped["empty"]
    )
    assert "landmarks have shape" in skipped["shape"]
    assert "frame 3, feature 'nose_x': 1e+308 is beyond float32's range" in skipped["huge"]
