"""State features (`StateLayout.build`, `clip_states`) on hand-computed examples."""

from __future__ import annotations

import numpy as np
import torch

from motionlab.data.reference.format import ReferenceClip
from motionlab.data.reference.states import StateLayout, clip_states, phase_features

JOINTS = np.array([[0, 10], [1, 12], [3, 15], [6, 19]], dtype=np.float32)


def _clip(loop: bool) -> ReferenceClip:
    return ReferenceClip("c", JOINTS, ("left_knee", "right_knee"), 10.0, loop, "c.npy")


def test_layout_names_and_columns() -> None:
    layout = StateLayout(("left_knee", "right_knee"), 10.0, velocities=True, phase=True)
    assert layout.feature_names == [
        "left_knee",
        "right_knee",
        "left_knee_vel",
        "right_knee_vel",
        "phase_sin",
        "phase_cos",
    ]
    assert layout.columns() == {"joints": [0, 2], "velocities": [2, 4], "phase": [4, 6], "command": None}
    bare = StateLayout(("a",), 30.0, velocities=False, phase=False)
    assert bare.feature_names == ["a"] and bare.columns() == {
        "joints": [0, 1],
        "velocities": None,
        "phase": None,
        "command": None,
    }
    assert StateLayout.from_dict(layout.to_dict()) == layout


def test_states_of_a_clip_that_does_not_loop() -> None:
    states = clip_states(_clip(loop=False), StateLayout(("a", "b"), 10.0)).numpy()
    # velocity = (q_t - q_{t-1}) * fps; before frame 0 the clip is extrapolated, so v_0 = v_1
    expected = [
        [0, 10, 10, 20, 0, 0],
        [1, 12, 10, 20, 0, 0],
        [3, 15, 20, 30, 0, 0],
        [6, 19, 30, 40, 0, 0],
    ]
    np.testing.assert_allclose(states, expected, atol=1e-5)


def test_states_of_a_loop_wrap_around_and_carry_the_phase() -> None:
    states = clip_states(_clip(loop=True), StateLayout(("a", "b"), 10.0)).numpy()
    # frame 0 follows frame 3; the phase is 2π t / 4
    expected = [
        [0, 10, -60, -90, 0, 1],
        [1, 12, 10, 20, 1, 0],
        [3, 15, 20, 30, 0, -1],
        [6, 19, 30, 40, -1, 0],
    ]
    np.testing.assert_allclose(states, expected, atol=1e-5)


def test_phase_of_fractional_and_negative_frames() -> None:
    frame = torch.tensor([[-1.0, 0.5, 4.0]])
    np.testing.assert_allclose(
        phase_features(frame, torch.tensor([[4.0]])).numpy()[0],
        [[-1, 0], [np.sin(np.pi / 4), np.cos(np.pi / 4)], [0, 1]],
        atol=1e-6,
    )
    assert not phase_features(frame, torch.tensor([[0.0]])).any()  # no loop, no phase


def test_build_works_on_batches_of_single_steps() -> None:
    """The rollout's use: one new frame per clip, from the previous joints."""
    layout = StateLayout(("a", "b"), 10.0, velocities=True, phase=False)
    joints = torch.tensor([[[1.0, 2.0]], [[0.0, 0.0]]])
    previous = torch.tensor([[0.5, 2.5], [0.0, 1.0]])
    states = layout.build(joints, previous, torch.zeros(2, 1), torch.zeros(2, 1))
    np.testing.assert_allclose(states.numpy(), [[[1, 2, 5, -5]], [[0, 0, 0, -10]]])
