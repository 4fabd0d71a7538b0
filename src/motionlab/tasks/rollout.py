"""Closed-loop rollout of an imitation policy: the number that tells whether a policy is usable.

One-step errors hide compounding: a policy that is a little off every step can drift far from the
reference within a second. The rollout starts each clip from its first ``history`` reference states,
then feeds the policy only its own predictions: each next state is built from the predicted joints
by `StateLayout.build`, the same function that built the training states, with the phase clock
advancing one frame per step. A looping clip's reference continues around the loop, so a rollout
may be longer than the clip; a clip that does not loop is rolled out until its last frame at most.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from motionlab.data.reference.format import ReferenceClip
from motionlab.data.reference.states import StateLayout, clip_states

#: ``states [C, history, F] -> next joint values [C, J]`` in original units.
Policy = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class RolloutResult:
    """Predicted and reference joints of every clip's rollout.

    Attributes:
        clip_names: the ``C`` clips.
        predicted, reference: ``[C, N, J]`` joint values at rollout steps ``1..N`` (frames
            ``history .. history + N - 1`` of each clip).
        steps: ``[C]`` valid steps per clip (``N``, or fewer for a short clip that does not loop).
    """

    clip_names: list[str]
    predicted: np.ndarray
    reference: np.ndarray
    steps: np.ndarray

    @property
    def step_error(self) -> np.ndarray:
        """``[C, N]`` mean absolute joint error at each step (NaN past a clip's valid steps)."""
        error = np.abs(self.predicted - self.reference).mean(axis=-1)
        valid = np.arange(error.shape[1]) < self.steps[:, None]
        return np.where(valid, error, np.nan)

    @property
    def clip_error(self) -> np.ndarray:
        """``[C]`` mean joint error over each clip's rollout."""
        return np.nanmean(self.step_error, axis=1)

    @property
    def final_error(self) -> np.ndarray:
        """``[C]`` mean joint error at each clip's last rollout step."""
        return self.step_error[np.arange(len(self.steps)), self.steps - 1]

    def summary(self) -> dict[str, float]:
        """Drift averaged over clips (each clip weighs the same): over the rollout and at its end."""
        return {
            "rollout_error": float(self.clip_error.mean()),
            "rollout_final_error": float(self.final_error.mean()),
        }


@torch.no_grad()
def closed_loop_rollout(
    policy: Policy,
    clips: Sequence[ReferenceClip],
    layout: StateLayout,
    history: int,
    steps: int,
    device: torch.device | str = "cpu",
) -> RolloutResult:
    """Roll ``policy`` out for ``steps`` steps from the first ``history`` frames of every clip at once.

    All clips advance together, one batched policy call per step; the results come back to the host
    once, at the end.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    short = [clip.name for clip in clips if not clip.loop and len(clip) <= history]
    if short:
        raise ValueError(f"clips {short} have no frame after their first {history} to roll out to")
    lengths = np.array([len(clip) for clip in clips])
    loops = np.array([clip.loop for clip in clips])
    valid_steps = np.where(loops, steps, np.minimum(steps, lengths - history))
    frames = history + np.arange(steps)
    reference = np.stack(
        [
            clip.joints[np.where(clip.loop, frames % len(clip), np.minimum(frames, len(clip) - 1))]
            for clip in clips
        ]
    )
    states = torch.stack([clip_states(clip, layout)[:history] for clip in clips]).to(device)
    period = torch.tensor(np.where(loops, lengths, 0), dtype=torch.float32, device=device)[:, None]
    joints = states[:, -1, : layout.num_joints]
    predicted = []
    for step in range(steps):
        next_joints = policy(states).to(states.dtype)
        frame = torch.full_like(period, float(history + step))
        new_state = layout.build(next_joints[:, None], joints, frame, period)
        states = torch.cat([states[:, 1:], new_state], dim=1)
        joints = next_joints
        predicted.append(next_joints)
    return RolloutResult(
        [clip.name for clip in clips],
        torch.stack(predicted, dim=1).cpu().numpy(),
        reference,
        valid_steps,
    )
