"""Closed-loop rollout of an imitation policy: the number that tells whether a policy is usable.

One-step errors hide compounding: a policy that is a little off every step can drift far from the
reference within a second. The rollout starts each clip from its first ``history`` reference states,
then feeds the policy only its own predictions: each next state is built from the predicted joints
by `StateLayout.build`, the same function that built the training states, with the phase clock
advancing one frame per step. A looping clip's reference continues around the loop, so a rollout
may be longer than the clip; a clip that does not loop is rolled out until its last frame at most.
Without a step count, each clip is rolled out whole: to its last frame, or once around a loop.

`baseline_rollouts` plays the same rollouts with policies that need no training (hold the start
pose, hold the training mean pose, keep the start velocity): a policy worth deploying beats all
of them, and the ratio to the best says by how much.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from motionlab.data.reference.format import ReferenceClip
from motionlab.data.reference.states import StateLayout, clip_command, clip_states, frame_before_start

#: ``states [C, history, F] -> next joint values [C, J]`` in original units.
Policy = Callable[[Tensor], Tensor]
#: The baselines of `baseline_rollouts`, in the order they are reported.
BASELINES = ("hold_first", "mean_pose", "constant_velocity")


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
def rollout_plan(
    clips: Sequence[ReferenceClip], history: int, steps: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """``(reference [C, N, J], valid steps [C])`` of rollouts of ``steps`` steps (``None``: whole clips)
    that start after the first ``history`` frames of every clip."""
    if steps is not None and steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    short = [clip.name for clip in clips if not clip.loop and len(clip) <= history]
    if short:
        raise ValueError(f"clips {short} have no frame after their first {history} to roll out to")
    lengths = np.array([len(clip) for clip in clips])
    loops = np.array([clip.loop for clip in clips])
    whole = np.where(loops, lengths, lengths - history)
    valid_steps = whole if steps is None else np.where(loops, steps, np.minimum(steps, whole))
    frames = history + np.arange(int(valid_steps.max()))
    reference = np.stack(
        [
            clip.joints[np.where(clip.loop, frames % len(clip), np.minimum(frames, len(clip) - 1))]
            for clip in clips
        ]
    )
    return reference, valid_steps


@torch.no_grad()
def closed_loop_rollout(
    policy: Policy,
    clips: Sequence[ReferenceClip],
    layout: StateLayout,
    history: int,
    steps: int | None,
    device: torch.device | str = "cpu",
) -> RolloutResult:
    """Roll ``policy`` out for ``steps`` steps (``None``: each clip whole) from the first ``history``
    frames of every clip at once.

    All clips advance together, one batched policy call per step; the results come back to the host
    once, at the end.
    """
    reference, valid_steps = rollout_plan(clips, history, steps)
    states = torch.stack([clip_states(clip, layout)[:history] for clip in clips]).to(device)
    period = torch.tensor([clip.period for clip in clips], dtype=torch.float32, device=device)[:, None]
    command = torch.from_numpy(np.stack([clip_command(clip, layout.command) for clip in clips])).to(device)
    joints = states[:, -1, : layout.num_joints]
    predicted = []
    for step in range(reference.shape[1]):
        next_joints = policy(states).to(states.dtype)
        frame = torch.full_like(period, float(history + step))
        new_state = layout.build(next_joints[:, None], joints, frame, period, command)
        states = torch.cat([states[:, 1:], new_state], dim=1)
        joints = next_joints
        predicted.append(next_joints)
    return RolloutResult(
        [clip.name for clip in clips],
        torch.stack(predicted, dim=1).cpu().numpy(),
        reference,
        valid_steps,
    )


def baseline_rollouts(
    clips: Sequence[ReferenceClip], history: int, steps: int | None, mean_pose: np.ndarray
) -> dict[str, RolloutResult]:
    """The rollouts of `BASELINES` on the same clips and steps as `closed_loop_rollout`:

    * ``hold_first``: stands still in the last start frame (the pose the policy starts from; also
      what a policy that repeats its last output does);
    * ``mean_pose``: stands still in ``mean_pose`` (the training clips' mean);
    * ``constant_velocity``: keeps moving at the start velocity (start frame minus the one before,
      per step).
    """
    reference, valid_steps = rollout_plan(clips, history, steps)
    start = np.stack([clip.joints[history - 1] for clip in clips])[:, None]
    before = np.stack(
        [
            clip.joints[history - 2] if history > 1 else frame_before_start(clip.joints, clip.loop)
            for clip in clips
        ]
    )[:, None]
    step = np.arange(1, reference.shape[1] + 1, dtype=np.float32)[None, :, None]
    predicted = {
        "hold_first": np.broadcast_to(start, reference.shape),
        "mean_pose": np.broadcast_to(np.asarray(mean_pose, dtype=np.float32), reference.shape),
        "constant_velocity": start + (start - before) * step,
    }
    names = [clip.name for clip in clips]
    return {name: RolloutResult(names, predicted[name], reference, valid_steps) for name in BASELINES}


def one_step_baselines(clips: Sequence[ReferenceClip]) -> dict[str, float]:
    """One-step joint errors (mean over the clips' transitions and joints) of predicting the next frame
    as the current one (``repeat_last``) or as the current one plus the last change
    (``constant_velocity``)."""
    repeat, velocity = [], []
    for clip in clips:
        joints = clip.joints
        repeat.append(np.abs(joints[1:] - joints[:-1]).reshape(-1))
        velocity.append(np.abs(joints[2:] - 2 * joints[1:-1] + joints[:-2]).reshape(-1))
    return {
        "repeat_last": float(np.concatenate(repeat).mean()),
        "constant_velocity": float(np.concatenate(velocity).mean()),
    }
