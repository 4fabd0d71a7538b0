"""Landmarks are extracted once per video content and extractor settings; bad videos do not stop the rest."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from motionlab.data.gait.synthetic import generate_gait_dataset
from motionlab.pose.cache import LandmarkCache, extract_videos
from motionlab.pose.extractor import ExtractorSettings
from motionlab.pose.files import read_landmarks


@pytest.fixture(scope="module")
def videos(pose_bundle, tmp_path_factory):
    from motionlab.pose.render import render_pose_video

    root = tmp_path_factory.mktemp("videos")
    sources = generate_gait_dataset(
        root / "sample", num_runners=2, videos_per_runner=1, seconds=2, dropout_rate=0, long_gap_share=0
    )
    return [
        render_pose_video(root / f"v{i}.avi", read_landmarks(s)[0][:12], 30.0, 240, 180)
        for i, s in enumerate(sources)
    ]


def test_second_run_reads_the_cache_and_extracts_nothing(videos, pose_bundle, tmp_path):
    settings = ExtractorSettings(model_path=str(pose_bundle))
    first, report = extract_videos(videos, settings, tmp_path / "cache", progress=False)
    assert report.extracted == [str(v) for v in videos] and not report.cached and not report.failed
    entries = sorted((tmp_path / "cache").glob("*.npz"))
    stamps = [entry.stat().st_mtime_ns for entry in entries]
    assert len(entries) == 2

    moved = shutil.copy(videos[0], tmp_path / "renamed.avi")  # same content elsewhere: still a hit
    second, report = extract_videos([*videos, moved], settings, tmp_path / "cache", progress=False)
    assert not report.extracted and report.cached == [str(v) for v in [*videos, moved]]
    assert [entry.stat().st_mtime_ns for entry in sorted((tmp_path / "cache").glob("*.npz"))] == stamps
    for video in videos:
        np.testing.assert_array_equal(second[video].landmarks, first[video].landmarks)
        assert second[video].fps == first[video].fps == pytest.approx(30.0)


def test_other_settings_or_other_content_miss_the_cache(videos, pose_bundle, tmp_path):
    cache = LandmarkCache(tmp_path, ExtractorSettings(model_path=str(pose_bundle)))
    stricter = LandmarkCache(
        tmp_path, ExtractorSettings(model_path=str(pose_bundle), min_detection_confidence=0.8)
    )
    assert cache.path(videos[0]) != stricter.path(videos[0])
    assert cache.path(videos[0]) != cache.path(videos[1])
    copy = tmp_path / "copy.bin"
    copy.write_bytes(videos[0].read_bytes())
    assert cache.path(copy) == cache.path(videos[0])
    copy.write_bytes(videos[0].read_bytes() + b"\x00")
    assert cache.path(copy) != cache.path(videos[0])


def test_an_unreadable_video_is_reported_and_the_others_are_extracted(videos, pose_bundle, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    poses, report = extract_videos(
        [broken, videos[0]],
        ExtractorSettings(model_path=str(pose_bundle)),
        tmp_path / "cache",
        progress=False,
    )
    assert list(poses) == [videos[0]] and report.extracted == [str(videos[0])]
    assert list(report.failed) == [str(broken)] and "broken.mp4" in report.failed[str(broken)]
