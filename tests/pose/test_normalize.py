"""BodyFrame: windows in the runner's own frame, the same wherever and however large the runner is."""

from __future__ import annotations

import torch

from motionlab.data.gait.synthetic import generate_gait_dataset
from motionlab.pose.files import read_landmarks
from motionlab.pose.landmarks import INDEX
from motionlab.pose.normalize import BodyFrame


def _window(tmp_path) -> torch.Tensor:
    path = generate_gait_dataset(
        tmp_path, num_runners=1, videos_per_runner=1, seconds=3, dropout_rate=0, long_gap_share=0
    )[0]
    return torch.from_numpy(read_landmarks(path)[0][:30].reshape(1, 30, 132))


def test_hips_are_centred_and_the_torso_has_unit_length(tmp_path):
    out = BodyFrame()(_window(tmp_path)).reshape(1, 30, 33, 4)
    hips = out[0, :, [INDEX["left_hip"], INDEX["right_hip"]], :2].mean(dim=1)
    shoulders = out[0, :, [INDEX["left_shoulder"], INDEX["right_shoulder"]], :2].mean(dim=1)
    assert torch.allclose(hips.mean(dim=0), torch.zeros(2), atol=1e-5)
    assert abs((shoulders - hips).norm(dim=-1).mean().item() - 1) < 1e-5


def test_position_and_size_in_the_picture_do_not_matter_but_motion_and_visibility_stay(tmp_path):
    window = _window(tmp_path)
    moved = window.reshape(1, 30, 33, 4).clone()
    moved[..., :3] *= 0.6
    moved[..., 0] += 0.2
    moved[..., 1] -= 0.1
    frame = BodyFrame()
    assert torch.allclose(frame(window), frame(moved.reshape(1, 30, 132)), atol=1e-5)
    out = frame(window).reshape(1, 30, 33, 4)
    hip_y = out[0, :, INDEX["left_hip"], 1]
    assert hip_y.max() - hip_y.min() > 0.02  # the bounce within the window is kept
    assert torch.equal(out[..., 3], window.reshape(1, 30, 33, 4)[..., 3])
