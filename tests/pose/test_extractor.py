"""The real MediaPipe extractor: on a photo a package ships, and on a rendered stick-figure video."""

from __future__ import annotations

import numpy as np
import pytest

from motionlab.data.gait.synthetic import generate_gait_dataset
from motionlab.errors import DataFormatError
from motionlab.pose.extractor import ExtractorSettings, PoseExtractor
from motionlab.pose.files import read_landmarks
from motionlab.pose.landmarks import INDEX


@pytest.fixture(scope="module")
def extractor(pose_bundle) -> PoseExtractor:
    return PoseExtractor(ExtractorSettings(model_path=str(pose_bundle)))


def test_landmarks_come_out_of_a_real_photo(extractor):
    data = pytest.importorskip("skimage.data", reason="scikit-image is not installed (dev extra)")
    photo = data.astronaut()  # 512 x 512 RGB portrait of Eileen Collins
    landmarks = extractor.extract_frames([photo, photo], fps=30.0)
    assert landmarks.shape == (2, 33, 4) and not np.isnan(landmarks).any()
    nose, left_eye, right_eye = (landmarks[-1, INDEX[n]] for n in ("nose", "left_eye", "right_eye"))
    # The face is in the upper-left quarter of the picture; the shoulders are below it.
    assert 0.3 < nose[0] < 0.55 and 0.15 < nose[1] < 0.4
    assert nose[3] > 0.9 and left_eye[3] > 0.9 and right_eye[1] < landmarks[-1, INDEX["left_shoulder"], 1]
    assert left_eye[0] > right_eye[0]  # the person's left eye is on the right of the picture


def test_rendered_runner_video_gives_landmarks_close_to_the_drawn_pose(extractor, tmp_path):
    from motionlab.pose.render import render_pose_video

    source = generate_gait_dataset(
        tmp_path / "sample", num_runners=1, videos_per_runner=1, seconds=2, dropout_rate=0, long_gap_share=0
    )[0]
    truth = read_landmarks(source)[0][:24]
    truth[10:13] = np.nan  # the runner leaves the picture for 3 frames
    video = render_pose_video(tmp_path / "run.mp4", truth, fps=30.0, width=320, height=240)
    pose = extractor.extract(video)
    assert pose.landmarks.shape == (24, 33, 4) and pose.fps == pytest.approx(30.0)
    assert (pose.width, pose.height) == (320, 240)
    assert not pose.detected[10:13].any()
    detected = pose.detected & ~np.isnan(truth[:, 0, 0])
    assert detected.sum() >= 15
    hips = [INDEX["left_hip"], INDEX["right_hip"]]
    error = np.abs(pose.landmarks[detected][:, hips, :2].mean(1) - truth[detected][:, hips, :2].mean(1))
    assert np.median(error) < 0.05  # hip midpoint within 5 % of the picture


def test_an_unreadable_video_is_an_error_naming_the_file(extractor, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 20)
    with pytest.raises(
        DataFormatError, match=r"broken\.mp4: cannot be opened as a video|broken\.mp4: no frame"
    ):
        extractor.extract(broken)
    with pytest.raises(DataFormatError, match=r"missing\.mp4: no such video file"):
        extractor.extract(tmp_path / "missing.mp4")


def test_a_missing_model_bundle_says_how_to_build_it(tmp_path):
    pytest.importorskip("mediapipe")
    with pytest.raises(FileNotFoundError, match="make pose-model"):
        PoseExtractor(ExtractorSettings(model_path=str(tmp_path / "none.task")))
