"""GaitDataModule: the sample and a folder of videos + landmark files through the real engine."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from motionlab.data.gait.annotations import annotation_path
from motionlab.data.gait.synthetic import generate_gait_dataset
from motionlab.errors import DataFormatError
from motionlab.pose.files import read_landmarks
from tests.helpers import GAIT_TINY


def datamodule(make_config, *overrides):
    cfg = make_config(*GAIT_TINY, *overrides, tiny=False)
    return instantiate(cfg.data, _convert_="all")


def test_sample_gives_30x132_windows_split_by_runner_with_window_targets(make_config):
    dm = datamodule(make_config, "+data.sample.long_gap_share=1.0")
    dm.prepare_data()
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    assert batch["x"].shape == (32, 30, 132) and batch["phase"].shape == (32, 30)
    assert batch["form_score"].shape == (32,) and batch["issues"].shape == (32, 3)
    groups = [set(dm.report.splits[s].groups) for s in ("train", "val", "test")]
    assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2])
    # Every video lost the runner for 1-1.5 s: cut there, the gap dropped and reported.
    report = dm.report.to_dict()
    assert (
        report["gap_filling"]["recordings_split"] >= 6 and report["gap_filling"]["dropped_frames"] >= 8 * 30
    )
    assert report["pose"]["frames_without_pose"] >= report["gap_filling"]["dropped_frames"]
    assert set(report["labels"]["train"]["phase_frames"]) == {
        "initial_contact",
        "mid_stance",
        "toe_off",
        "swing",
    }
    # A window's form target is the mean over its frames of the recording's per-frame labels.
    windows = dm.windows["val"]
    i = len(windows) // 2
    recording = windows.recordings[int(windows.recording_index[i])]
    offset = int(windows.starts[i]) - sum(
        len(r) for r in windows.recordings[: int(windows.recording_index[i])]
    )
    frames = slice(offset, offset + 30)
    assert windows.window_targets["form_score"][i].item() == pytest.approx(
        float(np.mean(recording.targets["form_score"][frames]))
    )
    expected_issues = recording.targets["issues"][frames].mean(axis=0)
    assert torch.allclose(windows.window_targets["issues"][i], torch.from_numpy(expected_issues))
    assert dm.spec.extras["body_frame"] and dm.spec.num_features == 132


def test_body_frame_statistics_describe_what_the_normaliser_sees(make_config):
    dm = datamodule(make_config)
    dm.setup("fit")
    stats = dm.feature_stats
    x = stats.mean.reshape(33, 4)
    assert x[:, 0].abs().max() < 1.5 and x[23:25, :2].abs().max() < 0.3  # hips near the body-frame origin
    raw = datamodule(make_config, "data.body_frame=false")
    raw.setup("fit")
    assert 0.3 < raw.feature_stats.mean.reshape(33, 4)[23, 0] < 0.7  # raw x: image coordinates


def test_long_gaps_can_be_made_an_error_that_names_the_frames(make_config):
    dm = datamodule(make_config, "+data.sample.long_gap_share=1.0", "data.long_gaps=error")
    with pytest.raises(DataFormatError, match=r"consecutive NaN frames at frames \d+\.\.\d+"):
        dm.setup("fit")


def test_folder_of_videos_and_landmark_files_skips_and_reports_unreadable_ones(
    make_config, pose_bundle, tmp_path
):
    from motionlab.pose.render import render_pose_video

    folder = tmp_path / "runs"
    files = generate_gait_dataset(
        folder, num_runners=3, videos_per_runner=1, seconds=2, dropout_rate=0, long_gap_share=0
    )
    landmarks, _ = read_landmarks(files[0])
    render_pose_video(folder / "runner00_v0.avi", landmarks[:45], 30.0, 320, 240)
    files[0].unlink()  # runner00 is now a video, the others are landmark files
    annotation = json.loads(annotation_path(files[0]).read_text())
    annotation["phases"] = [p for p in annotation["phases"] if p[0] < 45]
    annotation["form"] = [{**f, "end": min(f["end"], 45)} for f in annotation["form"] if f["start"] < 45]
    annotation_path(files[0]).write_text(json.dumps(annotation))
    (folder / "broken.mp4").write_bytes(b"not a video" * 50)
    annotation_path(folder / "broken.mp4").write_text(
        json.dumps({"runner": "runner00", "form": {"score": 5, "issues": []}})
    )
    (folder / "extra").mkdir()
    np.save(folder / "extra" / "orphan.npy", landmarks)

    overrides = [
        f"data.path={folder}",
        f"data.pose.model_path={pose_bundle}",
        f"data.pose.cache_dir={tmp_path / 'pose_cache'}",
        "data.split.val=[runner01]",
        "data.split.test=[runner02]",
        "data.stride=5",
        "data.max_skipped=0.5",  # 2 of 5 inputs are skipped on purpose
    ]
    dm = datamodule(make_config, *overrides)
    dm.setup("fit")
    report = dm.report.to_dict()
    skipped = {item["recording"]: item["reason"] for item in report["recordings"]["skipped"]}
    assert "broken.mp4" in skipped["broken"] and "orphan.gait.json" in skipped["orphan"]
    assert any("could not be read" in warning for warning in report["warnings"])
    assert report["pose"]["videos_extracted"] == 1 and report["pose"]["landmark_files"] == 2
    train = dm.windows["train"].recordings
    assert [r.name.split("#")[0] for r in train] == ["runner00_v0"] and train[0].source.endswith(".avi")
    assert dm.windows["train"].frames.shape[1] == 132

    again = datamodule(make_config, *overrides)
    again.setup("fit")
    assert again.report.to_dict()["pose"]["videos_from_cache"] == 1
    assert torch.equal(again.windows["train"].frames, dm.windows["train"].frames)
