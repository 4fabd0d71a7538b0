"""The shared engine, through a minimal in-memory datamodule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionlab.data.datamodule import MotionDataModule
from motionlab.data.recording import Recording
from motionlab.data.windows import WindowSet
from motionlab.errors import ConfigError, DataFormatError, DataSplitError


class InMemory(MotionDataModule):
    """Recordings given directly; window class = label of the first frame."""

    class_target = "label"

    def __init__(self, recordings: list[Recording], **kwargs) -> None:
        super().__init__(class_names=["a", "b"], **kwargs)
        self.recordings = recordings

    def load_recordings(self) -> list[Recording]:
        return self.recordings

    def describe_source(self) -> str:
        return "memory"

    def window_targets(self, windows: WindowSet) -> dict[str, torch.Tensor]:
        return {"label": windows.windowed("label")[:, 0]}


def recording(
    name: str, subject: str, length: int, label: int, offset: float, fps: float = 30.0
) -> Recording:
    frames = np.full((length, 2), offset, dtype=np.float32) + np.arange(length, dtype=np.float32)[:, None]
    return Recording(
        name,
        frames,
        ["f0", "f1"],
        fps,
        group=subject,
        source=f"{name}.npz",
        targets={"label": np.full(length, label)},
    )


def subjects(count: int = 9, length: int = 40) -> list[Recording]:
    return [recording(f"r{i}", f"s{i}", length, i % 2, 100.0 * i) for i in range(count)]


def test_groups_never_share_a_split_and_stats_come_from_train_only():
    dm = InMemory(subjects(), window=10, stride=5, split={"seed": 1})
    dm.setup()
    groups = {name: set(s.groups) for name, s in dm.report.splits.items()}
    assert not (
        groups["train"] & groups["val"] or groups["train"] & groups["test"] or groups["val"] & groups["test"]
    )
    train_frames = np.concatenate([r.frames for r in dm.windows["train"].recordings])
    np.testing.assert_allclose(dm.feature_stats.mean.numpy(), train_frames.mean(0), rtol=1e-5)
    np.testing.assert_allclose(dm.feature_stats.std.numpy(), train_frames.std(0), rtol=1e-5)


def test_class_weights_are_inverse_train_frequencies():
    recs = subjects()
    dm = InMemory(recs, window=10, stride=5, split={"val": ["s0", "s1"], "test": ["s2", "s3"]})
    dm.setup()
    counts = np.array(
        [sum(7 for r in dm.windows["train"].recordings if r.targets["label"][0] == c) for c in (0, 1)]
    )
    expected = counts.sum() / (2 * counts)
    np.testing.assert_allclose(dm.spec.class_weights, expected)


def test_short_recordings_are_skipped_and_reported():
    recs = [*subjects(), recording("tiny", "s99", 5, 0, 0.0)]
    dm = InMemory(recs, window=10, stride=5)
    dm.setup()
    assert dm.report.skipped == [
        {"recording": "tiny", "source": "tiny.npz", "reason": "5 frames is shorter than the 10-frame window"}
    ]
    assert any("skipped 1 recording" in w for w in dm.report.warnings)


def test_inconsistent_frame_rate_names_the_file():
    recs = [*subjects(), recording("odd", "s50", 40, 0, 0.0, fps=25.0)]
    with pytest.raises(DataFormatError, match=r"odd\.npz: frame rate 25.0 differs from 30.0 in r0\.npz"):
        InMemory(recs, window=10, stride=5).setup()


def test_split_column_in_metadata_prescribes_each_groups_split():
    recs = subjects()
    for i, rec in enumerate(recs):
        rec.meta["fold"] = {0: "val", 1: "test", 2: "val"}.get(i, "train")
    dm = InMemory(recs, window=10, stride=5, split={"column": "fold"})
    dm.setup()
    assert dm.report.splits["val"].groups == ["s0", "s2"] and dm.report.splits["test"].groups == ["s1"]
    assert len(dm.report.splits["train"].groups) == 6


def test_split_column_errors_name_the_problem():
    recs = [*subjects(), recording("r9b", "s0", 40, 1, 900.0)]  # s0 has two recordings
    for rec in recs:
        rec.meta["fold"] = "val" if rec.name == "r9b" else "train"
    with pytest.raises(DataSplitError, match=r"r9b\.npz: group 's0' is in split 'val' here but in 'train'"):
        InMemory(recs, window=10, stride=5, split={"column": "fold"}).setup()
    with pytest.raises(ConfigError, match=r"data\.split\.column: 'session' is not known for r0\.npz"):
        InMemory(subjects(), window=10, stride=5, split={"column": "session"}).setup()
    with pytest.raises(ConfigError, match=r"set together with data\.split\.val"):
        InMemory(recs, window=10, stride=5, split={"column": "fold", "test": ["s1"]}).setup()
    for rec in recs:
        rec.meta["fold"] = "holdout"
    with pytest.raises(DataSplitError, match=r"unknown split name\(s\) \['holdout'\]"):
        InMemory(recs[:-1], window=10, stride=5, split={"column": "fold"}).setup()
