"""The policy's state features, built from joint trajectories by ONE function, `StateLayout.build`.

The datamodule builds every clip's states with it, the training batches rebuild their (time-scaled,
mirrored) states with it, and the closed-loop rollout builds each next state from the policy's own
predictions with it, so a policy is evaluated on exactly the states it was trained on.

The state at frame ``t`` is, in this column order:

* ``joints``: the joint values ``q_t`` (always);
* ``velocities``: ``(q_t - q_{t-1}) · fps``, in joint units per second (named ``<joint>_vel``);
* ``phase``: ``sin, cos`` of ``2π · (t mod P) / P`` where ``P`` is the clip's period: its length
  ``T`` for a looping clip, its gait cycle (``ReferenceClip.cycle``) for a clip that does not loop
  but repeats a cycle; ``0, 0`` for a clip with neither (no cycle to be in). The phase is a clock,
  never predicted: an app that plays a clip knows where in its cycle it is;
* ``command``: per-clip constants from the clip's metadata (e.g. AWD's ``Placo.dx``: the velocity
  the motion was generated for), the same at every frame: they tell the policy which motion to make.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from motionlab.data.reference.format import ReferenceClip
from motionlab.errors import DataFormatError

VELOCITY_SUFFIX = "_vel"
PHASE_FEATURES = ("phase_sin", "phase_cos")
COMMAND_PREFIX = "command/"


@dataclass(frozen=True)
class StateLayout:
    """Which features a state holds, and how they are computed.

    Attributes:
        joint_names: the ``J`` joints, in column order.
        fps: frame rate (velocities are per second).
        velocities: include joint velocities.
        phase: include the cycle phase (sin, cos).
        command: the clip metadata keys (dotted paths) appended to every state.
    """

    joint_names: tuple[str, ...]
    fps: float
    velocities: bool = True
    phase: bool = True
    command: tuple[str, ...] = ()

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @property
    def feature_names(self) -> list[str]:
        names = list(self.joint_names)
        if self.velocities:
            names += [f"{name}{VELOCITY_SUFFIX}" for name in self.joint_names]
        if self.phase:
            names += list(PHASE_FEATURES)
        return names + [f"{COMMAND_PREFIX}{key}" for key in self.command]

    @property
    def num_features(self) -> int:
        return len(self.feature_names)

    def columns(self) -> dict[str, list[int] | None]:
        """``[start, stop)`` of each part of the state (``None`` when the part is not included)."""
        joints = self.num_joints
        velocities = [joints, 2 * joints] if self.velocities else None
        start = 2 * joints if self.velocities else joints
        phase_end = start + len(PHASE_FEATURES) if self.phase else start
        return {
            "joints": [0, joints],
            "velocities": velocities,
            "phase": [start, phase_end] if self.phase else None,
            "command": [phase_end, phase_end + len(self.command)] if self.command else None,
        }

    def build(
        self, joints: Tensor, previous: Tensor, frame: Tensor, period: Tensor, command: Tensor | None = None
    ) -> Tensor:
        """States ``[..., T, F]`` of the joint trajectory ``joints [..., T, J]``.

        Args:
            joints: joint values at the ``T`` frames.
            previous: ``[..., J]`` joint values one frame before the first (for its velocity).
            frame: ``[..., T]`` (possibly fractional) frame index of each frame within its clip.
            period: the clip's period in frames (its length when it loops, its gait cycle), 0
                when it has none; broadcastable to ``frame``.
            command: ``[..., C]`` the clip's command values (needed when the layout has some).
        """
        parts = [joints]
        if self.velocities:
            steps = torch.cat([previous.unsqueeze(-2), joints], dim=-2)
            parts.append(torch.diff(steps, dim=-2) * self.fps)
        if self.phase:
            parts.append(phase_features(frame, period).to(joints.dtype))
        if self.command:
            if command is None:
                raise ValueError(f"the state layout has command features {list(self.command)}: pass them")
            parts.append(command.to(joints.dtype).unsqueeze(-2).expand(*joints.shape[:-1], -1))
        return torch.cat(parts, dim=-1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "joint_names": list(self.joint_names),
            "fps": self.fps,
            "velocities": self.velocities,
            "phase": self.phase,
            "command": list(self.command),
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> StateLayout:
        return cls(
            tuple(values["joint_names"]),
            float(values["fps"]),
            bool(values["velocities"]),
            bool(values["phase"]),
            tuple(values.get("command", ())),
        )


def phase_features(frame: Tensor, period: Tensor) -> Tensor:
    """``[..., T, 2]``: sin and cos of the loop phase at ``frame``; ``0, 0`` where ``period`` is 0."""
    period = torch.as_tensor(period, dtype=torch.float32, device=frame.device).expand_as(frame)
    looping = period > 0
    safe = torch.where(looping, period, torch.ones_like(period))
    angle = 2 * math.pi * torch.remainder(frame.float(), safe) / safe
    return torch.stack([angle.sin(), angle.cos()], dim=-1) * looping.unsqueeze(-1)


def frame_before_start(joints: Tensor, loop: bool) -> Tensor:
    """The joint values one frame before frame 0: the last frame of a loop; for a clip that does not
    loop, the linear extrapolation ``2 q_0 - q_1`` (its first velocity is then the first step's)."""
    return joints[-1] if loop else 2 * joints[0] - joints[1]


def clip_states(clip: ReferenceClip, layout: StateLayout) -> Tensor:
    """``[T, F]`` states of every frame of ``clip``."""
    joints = torch.from_numpy(clip.joints)
    frame = torch.arange(len(clip), dtype=torch.float32)
    period = torch.tensor(clip.period)
    command = torch.from_numpy(clip_command(clip, layout.command))
    return layout.build(joints, frame_before_start(joints, clip.loop), frame, period, command)


def clip_command(clip: ReferenceClip, keys: tuple[str, ...]) -> np.ndarray:
    """``[C]`` float32 values of the metadata ``keys`` (dotted paths such as ``Placo.dx``) of ``clip``."""
    values = []
    for key in keys:
        value: Any = clip.meta
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise DataFormatError(
                clip.described_by or clip.source,
                f"command key '{key}' (data.state.command) is {value!r} for clip '{clip.name}', not a number",
                "give every clip a number under that key in its sidecar / JSON, or change data.state.command",
            )
        values.append(float(value))
    return np.asarray(values, dtype=np.float32)
