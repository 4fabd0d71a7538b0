"""Closed-loop rollout: zero drift for a perfect policy, the exact drift of a constant one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionlab.data.reference.format import ReferenceClip
from motionlab.data.reference.states import StateLayout, clip_states
from motionlab.tasks.common.rollout import closed_loop_rollout

NAMES = ("left_knee", "right_knee", "neck_pitch")
LAYOUT = StateLayout(NAMES, 20.0, velocities=True, phase=True)


def _clips() -> list[ReferenceClip]:
    t = np.arange(13)
    loop = np.stack([np.sin(2 * np.pi * t / 13), np.cos(2 * np.pi * t / 13), 0.1 * t % 0.5], axis=1)
    straight = np.random.default_rng(0).normal(size=(9, 3)).cumsum(axis=0)
    return [
        ReferenceClip("loop", loop.astype(np.float32), NAMES, 20.0, True, "loop.npy"),
        ReferenceClip("straight", straight.astype(np.float32), NAMES, 20.0, False, "straight.npy"),
    ]


class Oracle:
    """Returns the reference's next frame, and checks that every state it is shown is exactly the
    state the data pipeline builds for that frame (`clip_states`)."""

    def __init__(self, clips: list[ReferenceClip], history: int) -> None:
        self.clips, self.history, self.step = clips, history, 0
        self.states = [clip_states(clip, LAYOUT) for clip in clips]

    def __call__(self, states: torch.Tensor) -> torch.Tensor:
        frames = np.arange(self.step, self.step + self.history)
        for clip, reference, shown in zip(self.clips, self.states, states, strict=True):
            if clip.loop or frames[-1] < len(clip):
                torch.testing.assert_close(shown, reference[frames % len(clip)])
        self.step += 1
        following = frames[-1] + 1
        return torch.stack(
            [
                torch.from_numpy(
                    clip.joints[following % len(clip) if clip.loop else min(following, len(clip) - 1)]
                )
                for clip in self.clips
            ]
        )


@pytest.mark.parametrize("history", [1, 3])
def test_a_perfect_policy_does_not_drift(history: int) -> None:
    clips = _clips()
    result = closed_loop_rollout(Oracle(clips, history), clips, LAYOUT, history, steps=30)
    # the loop is rolled out past its end (around the loop); the other clip until its last frame
    assert result.steps.tolist() == [30, 9 - history]
    assert result.summary() == {"rollout_error": 0.0, "rollout_final_error": 0.0}
    np.testing.assert_array_equal(result.reference[0, :], clips[0].joints[(history + np.arange(30)) % 13])


def test_a_constant_policy_drifts_by_its_distance_from_the_reference() -> None:
    clips = _clips()
    pose = torch.tensor([0.5, -0.2, 0.1])
    result = closed_loop_rollout(lambda states: pose.expand(len(states), 3), clips, LAYOUT, 2, steps=20)
    loop_error = np.abs(clips[0].joints[(2 + np.arange(20)) % 13] - pose.numpy()).mean(axis=1)
    straight_error = np.abs(clips[1].joints[2:] - pose.numpy()).mean(axis=1)
    np.testing.assert_allclose(result.clip_error, [loop_error.mean(), straight_error.mean()], rtol=1e-6)
    np.testing.assert_allclose(result.final_error, [loop_error[-1], straight_error[-1]], rtol=1e-6)
    summary = result.summary()
    assert summary["rollout_error"] == pytest.approx(
        (loop_error.mean() + straight_error.mean()) / 2, rel=1e-6
    )
    assert np.isnan(result.step_error[1, 7:]).all()  # past the end of the clip that does not loop


def test_the_policy_is_fed_its_own_predictions() -> None:
    """A policy that adds 0.1 to every joint: its states move away from the reference step by step."""
    clips = _clips()[:1]
    seen = []

    def drifting(states: torch.Tensor) -> torch.Tensor:
        seen.append(states[:, -1, :3].clone())
        return states[:, -1, :3] + 0.1

    result = closed_loop_rollout(drifting, clips, LAYOUT, 1, steps=4)
    start = clips[0].joints[0]
    np.testing.assert_allclose(torch.cat(seen).numpy(), [start + 0.1 * k for k in range(4)], rtol=1e-5)
    np.testing.assert_allclose(result.predicted[0], [start + 0.1 * k for k in range(1, 5)], rtol=1e-5)


def test_clips_too_short_to_roll_out_are_refused() -> None:
    clip = ReferenceClip("short", np.zeros((2, 3), np.float32), NAMES, 20.0, False, "short.npy")
    with pytest.raises(ValueError, match=r"clips \['short'\] have no frame after their first 2"):
        closed_loop_rollout(lambda s: s[:, -1, :3], [clip], LAYOUT, 2, steps=5)
