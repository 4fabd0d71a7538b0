"""CsvFramesDataModule on user-style CSVs: column roles from overrides, label-pure windows, leak-free and
stratified splits, class weights and balanced sampling, augmentation, and seed 001's warnings."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from motionlab.data.csv_frames.datamodule import CsvFramesDataModule
from motionlab.errors import ConfigError, DataFormatError, DataSplitError
from tests.helpers import compose_config

HEADER = [
    "source_video",
    "person",
    "frame_idx",
    "kp_left_knee",
    "kp_right_knee",
    "kp_trunk",
    "activity",
    "fold",
]
ROLES = {
    "features": "^kp_",
    "label": "activity",
    "recording": "source_video",
    "subject": "person",
    "frame": "frame_idx",
}
SUBJECTS = ("ann", "bob", "cy", "dan", "eve", "fay")


def write_csv(
    path: Path,
    subjects=SUBJECTS,
    recordings=2,
    segments=(("jump", 40), ("sit", 40), ("walk", 40)),
    seed: int = 0,
) -> Path:
    """Rows of every recording shuffled together; each class has its own feature levels."""
    rng = np.random.default_rng(seed)
    rows = []
    for s, subject in enumerate(subjects):
        for r in range(recordings):
            order = np.roll(np.arange(len(segments)), s + r)
            names = np.concatenate([[segments[i][0]] * segments[i][1] for i in order])
            level = np.array([["jump", "sit", "walk", "run"].index(n) for n in names], dtype=float)
            t = np.arange(len(names))
            left = 10 * level + np.sin(t / 3) + rng.normal(0, 0.1, len(t))
            right = -10 * level + np.cos(t / 3) + rng.normal(0, 0.1, len(t))
            trunk = 5 * level + rng.normal(0, 0.1, len(t))
            fold = ["val", "test", "train", "train", "train", "train"][s % 6]
            rows += [
                [f"{subject}_{r}", subject, i, f"{a:.3f}", f"{b:.3f}", f"{c:.3f}", n, fold]
                for i, a, b, c, n in zip(t, left, right, trunk, names, strict=True)
            ]
    rows = [rows[i] for i in rng.permutation(len(rows))]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def make(path: Path, **kwargs) -> CsvFramesDataModule:
    args = {
        "path": str(path),
        "cache_dir": "unused",
        "sample": {},
        "columns": ROLES,
        "fps": 25.0,
        "window": 10,
        "stride": 5,
        "batch_size": 16,
        "split": {"seed": 0},
    }
    args.update(kwargs)
    dm = CsvFramesDataModule(**args)
    dm.setup()
    return dm


def test_column_roles_window_and_fps_come_from_command_line_overrides(tmp_path):
    path = write_csv(tmp_path / "export.csv")
    overrides = [f"data.columns.{role}={name}" for role, name in ROLES.items() if role != "features"]
    cfg = compose_config(
        [
            "data=csv",
            "model=lstm",
            f"data.path={path}",
            'data.columns.features="^kp_"',
            *overrides,
            "data.fps=25",
            "data.window=12",
            "data.stride=6",
        ],
        tmp_path,
        tmp_path / "cache",
    )
    dm = instantiate(cfg.data, _convert_="all")
    dm.setup()
    spec = dm.spec
    assert spec.feature_names == ["kp_left_knee", "kp_right_knee", "kp_trunk"]
    assert spec.class_names == ["jump", "sit", "walk"] and spec.fps == 25.0 and spec.window == 12
    assert dm.windows["train"].gather(torch.arange(2))["x"].shape == (2, 12, 3)
    report = dm.report.to_dict()
    assert report["unit"] == "subject" and report["csv"]["columns"]["recording"] == "source_video"
    assert report["csv"]["rows"] == 6 * 2 * 120 and report["csv"]["recordings_reordered_by_frame"] == 12
    # the rows were shuffled in the file: each recording is back in frame order
    recording = dm.windows["train"].recordings[0]
    assert np.all(np.diff(recording.frames[:, 2]) < 6)  # kp_trunk only jumps (by 5) at label changes


def test_windows_are_label_pure_and_no_recording_or_subject_is_in_two_splits(tmp_path):
    dm = make(write_csv(tmp_path / "export.csv"))
    seen_recordings, seen_subjects = set(), set()
    for split, windows in dm.windows.items():
        labels = windows.windowed("frame_label")
        assert (labels == labels[:, :1]).all(), split
        assert torch.equal(windows.window_targets["label"], labels[:, 0])
        ends = np.cumsum([len(r) for r in windows.recordings])
        first = np.searchsorted(ends, windows.starts.numpy(), side="right")
        last = np.searchsorted(ends, windows.starts.numpy() + dm.window - 1, side="right")
        assert np.array_equal(first, last), f"{split}: a window crosses two recordings"
        names = {r.name for r in windows.recordings}
        subjects = {r.meta["subject"] for r in windows.recordings}
        assert not names & seen_recordings and not subjects & seen_subjects
        seen_recordings |= names
        seen_subjects |= subjects
    assert len(seen_recordings) == 12 and seen_subjects == set(SUBJECTS)
    # every class in every split: the split is stratified where the data allows
    assert all(min(s.windows_per_class.values()) > 0 for s in dm.report.splits.values())
    # 120 frames per recording, three 40-frame segments: 7 windows of 10 (stride 5) per segment
    assert sum(len(w) for w in dm.windows.values()) == 12 * 3 * 7


def test_split_unit_follows_the_subject_column_and_fixed_splits_work(tmp_path):
    path = write_csv(tmp_path / "export.csv")
    no_subject = make(path, columns={**ROLES, "subject": None, "features": ["kp_left_knee", "kp_trunk"]})
    assert no_subject.report.unit == "recording"
    assert all(g.startswith("export/") for s in no_subject.report.splits.values() for g in s.groups)
    by_column = make(path, split={"column": "fold"})
    assert by_column.report.splits["val"].groups == ["ann"] and by_column.report.splits["test"].groups == [
        "bob"
    ]
    listed = make(path, split={"val": ["cy"], "test": ["dan", "eve"]})
    assert listed.report.splits["test"].groups == ["dan", "eve"]
    with pytest.raises(ConfigError, match=r"data\.split\.column: set together with data\.split\.val"):
        make(path, split={"column": "fold", "val": ["cy"]})
    with pytest.raises(DataFormatError, match=r"has no column 'fold_id' \(data\.split\.column\)"):
        make(path, split={"column": "fold_id"})


def test_class_weights_are_inverse_train_frequencies_and_balanced_sampling_evens_classes(tmp_path):
    segments = (("jump", 20), ("sit", 60), ("walk", 120))
    path = write_csv(tmp_path / "export.csv", segments=segments)
    dm = make(path)
    counts = torch.bincount(dm.windows["train"].window_targets["label"], minlength=3).double()
    np.testing.assert_allclose(dm.spec.class_weights, (counts.sum() / (3 * counts)).tolist())
    assert counts.max() / counts.min() > 6
    balanced = make(path, balanced_sampler=True)
    assert balanced.spec.class_weights == [1.0, 1.0, 1.0]  # the sampler balances; no double correction
    torch.manual_seed(0)
    drawn = torch.cat([batch["label"] for batch in balanced.train_dataloader()])
    drawn_counts = torch.bincount(drawn, minlength=3).double()
    assert len(drawn) == len(balanced.windows["train"]) and drawn_counts.max() / drawn_counts.min() < 1.5


def test_augmentation_keeps_shapes_and_mirror_swaps_the_named_columns(tmp_path):
    path = write_csv(tmp_path / "export.csv")
    knees = [["kp_left_knee", "kp_right_knee"]]
    dm = make(path, augment={"mirror_prob": 1.0, "mirror_pairs": knees, "mirror_negate": ["kp_trunk"]})
    assert dm.report.extras["mirror_pairs"] == knees
    batch = next(iter(dm.train_dataloader()))
    out = dm.augment(batch, list(dm.windows["train"].frame_targets))
    assert torch.equal(out["x"], batch["x"][..., [1, 0, 2]] * torch.tensor([1.0, 1.0, -1.0]))
    everything = {"noise_std": 0.1, "time_warp": 0.2, "mirror_prob": 0.5, "mirror_pairs": knees}
    full = make(path, augment=everything)
    out = full.augment(batch, ["frame_label"])
    assert out["x"].shape == batch["x"].shape and out["frame_label"].shape == batch["frame_label"].shape
    assert torch.equal(out["label"], batch["label"]) and not torch.equal(out["x"], batch["x"])
    assert (out["frame_label"] == out["label"][:, None]).all()  # windows stay label-pure
    # 'auto' pairs every name with a left word (split by '_') with its right twin
    auto = make(path, augment={"mirror_prob": 0.5, "mirror_pairs": "auto"})
    assert auto.report.extras["mirror_pairs"] == knees
    assert not any("mirroring changes nothing" in w for w in auto.report.warnings)


def test_missing_values_are_interpolated_within_a_recording_or_rejected(tmp_path):
    path = write_csv(tmp_path / "export.csv", subjects=SUBJECTS[:3], recordings=1)
    lines = path.read_text().splitlines()
    target = next(i for i, line in enumerate(lines) if line.startswith("ann_0,ann,50,"))
    cells = lines[target].split(",")
    cells[3] = ""
    lines[target] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    dm = make(path, split={"by": "recording"})
    assert dm.report.interpolated_frames == 1 and dm.report.recordings_with_gaps == 1
    frames = next(r for w in dm.windows.values() for r in w.recordings if r.name == "export/ann_0").frames
    assert np.isfinite(frames).all()
    assert min(frames[49, 0], frames[51, 0]) <= frames[50, 0] <= max(frames[49, 0], frames[51, 0])
    with pytest.raises(DataFormatError, match=rf"line {target + 1}, column 'kp_left_knee': missing value"):
        make(path, nan_policy="error")


def test_seed_001_situation_is_reported_before_training(tmp_path):
    """Few windows; a rare class in one recording, mostly in segments shorter than a window."""
    path = write_csv(
        tmp_path / "tiny.csv",
        subjects=("ann", "bob", "cy", "dan"),
        recordings=1,
        segments=(("walk", 200), ("sit", 30)),
    )
    labels = ["jump"] * 16 + ["sit"] * 20 + ["jump"] * 12 + ["sit"] * 20 + ["jump"] * 12 + ["sit"] * 20
    rare = [["ann_rare", "ann", i, "1.0", "2.0", "3.0", label, "train"] for i, label in enumerate(labels)]
    with path.open("a", newline="") as handle:
        csv.writer(handle).writerows(rare)
    dm = make(path, window=15, stride=5, classes=["jump", "sit", "walk", "run"])
    warnings = "\n".join(dm.report.warnings)
    assert "class 'run' (data.classes) occurs in no recording" in warnings
    assert "training windows (< 500): expect overfitting" in warnings
    assert "class 'jump' has only 1 training windows (< 20)" in warnings
    assert "training classes are imbalanced" in warnings
    assert "class 'jump' has no windows in the val split" in warnings
    assert "class 'jump' has no windows in the test split" in warnings
    assert "class 'jump': 2 of its 3 segments are shorter than the 15-frame window" in warnings
    assert dm.report.to_dict()["segments"]["jump"] == {
        "segments": 3,
        "short_segments": 2,
        "frames": 40,
        "frames_in_short_segments": 24,
    }


def test_too_few_groups_for_a_split_say_what_to_do(tmp_path):
    path = write_csv(tmp_path / "export.csv", subjects=("ann", "bob"), recordings=1)
    with pytest.raises(DataSplitError, match=r"only 2 subject\(s\).*needs at least 3"):
        make(path)
