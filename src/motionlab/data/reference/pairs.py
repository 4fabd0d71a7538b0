"""(state, target) pairs from windows of clip states, with vectorised augmentation.

The engine windows the clips' stored states. A window of `raw_window` frames ends at the target
frame; before it lie the ``history`` state frames the policy sees and one more frame (the joints
before the first state, for its velocity), plus a margin that time scaling needs to play the window
up to ``1 + time_warp`` times faster. `PairBuilder` turns a batch of such windows into
``x [B, history, F]`` (states), ``target [B, J]`` and ``next_joints [B, J]`` by resampling the joint
trajectory and rebuilding the states with `StateLayout.build`: the function every state comes from.
Without augmentation the rebuilt states equal the stored ones exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from motionlab.data.augment import resample_time
from motionlab.data.reference.states import StateLayout
from motionlab.errors import ConfigError

# next: the next frame's joint values; delta: their change from the current state's joints.
TARGETS = ("next", "delta")


def check_target(target: str) -> None:
    if target not in TARGETS:
        raise ConfigError("data.target", f"unknown target '{target}'", f"use one of {list(TARGETS)}")


def raw_window(history: int, time_warp: float) -> int:
    """Frames per engine window: ``history`` states, the frame before them, the target frame, and the
    margin that playing ``1 + time_warp`` times faster needs."""
    if history < 1:
        raise ConfigError(
            "data.history", f"must be at least 1, got {history}", "use 1 for the current state only"
        )
    return history + 2 + math.ceil(time_warp * (history + 1))


@dataclass
class PairAugment:
    """Random transforms of training pairs; all off (0) by default.

    Attributes:
        noise_std: Gaussian noise on the states' joint and velocity features (not the phase), in
            units of each feature's training-split std: the policy learns to return to the reference
            from states it drifted into. The target is computed from the noisy state.
        time_warp: maximum relative change of playback speed (0.1 → speed in [0.9, 1.1]); the
            history, the velocities and the next frame all follow the new speed.
        amplitude: maximum relative change of the range of motion around each window's mean pose.
        mirror_prob: probability of swapping left and right joints (needs a mirror permutation).
    """

    noise_std: float = 0.0
    time_warp: float = 0.0
    amplitude: float = 0.0
    mirror_prob: float = 0.0


class PairBuilder:
    """Builds the (state history, target) pairs of a batch of raw windows, on the batch's device.

    Args:
        layout: the state features.
        history: state frames per pair.
        target: ``next`` or ``delta`` (see `TARGETS`).
        augment: the transforms applied when called with ``augment=True``.
    """

    def __init__(self, layout: StateLayout, history: int, target: str, augment: PairAugment) -> None:
        check_target(target)
        self.layout = layout
        self.history = history
        self.target = target
        self.augment = augment
        self.window = raw_window(history, augment.time_warp)
        self.feature_std: Tensor | None = None
        self.mirror_index: Tensor | None = None
        self.mirror_sign: Tensor | None = None

    def set_feature_std(self, std: Tensor) -> None:
        self.feature_std = std.float()

    def set_mirror(self, index: Sequence[int], sign: Sequence[float]) -> None:
        """Mirror = ``joints[..., index] * sign`` (a left/right joint swap, with sign flips)."""
        self.mirror_index = torch.as_tensor(index, dtype=torch.long)
        self.mirror_sign = torch.as_tensor(sign, dtype=torch.float32)

    def __call__(self, batch: dict[str, Tensor], augment: bool = False) -> dict[str, Tensor]:
        """``batch`` holds ``x [B, W, F]`` stored states and per-frame ``frame`` and ``period``."""
        x = batch["x"]
        size, window = x.shape[:2]
        if window < self.window:
            raise ValueError(f"windows of {window} frames are shorter than the {self.window} pairs need")
        speed = torch.ones(size, 1, device=x.device)
        if augment and self.augment.time_warp > 0:
            speed = speed + (torch.rand(size, 1, device=x.device) * 2 - 1) * self.augment.time_warp
        # previous frame, history frames, target frame: the target stays on the window's last frame
        offsets = torch.arange(-(self.history + 1), 1, device=x.device, dtype=torch.float32)
        positions = (window - 1) + speed * offsets
        joints = resample_time(x[..., : self.layout.num_joints], positions)
        frame = resample_time(batch["frame"], positions[:, 1:-1])
        if augment:
            joints = self._pose_augment(joints)
        command = batch["command"][:, -1] if self.layout.command else None
        states = self.layout.build(joints[:, 1:-1], joints[:, 0], frame, batch["period"][:, -1:], command)
        if augment and self.augment.noise_std > 0:
            states = self._add_noise(states)
        next_joints = joints[:, -1]
        current = states[:, -1, : self.layout.num_joints]
        target = next_joints - current if self.target == "delta" else next_joints
        return {"x": states, "target": target, "next_joints": next_joints}

    def _pose_augment(self, joints: Tensor) -> Tensor:
        size = joints.shape[0]
        if self.augment.amplitude > 0:
            factor = 1 + (torch.rand(size, 1, 1, device=joints.device) * 2 - 1) * self.augment.amplitude
            mean = joints.mean(dim=1, keepdim=True)
            joints = mean + (joints - mean) * factor
        if self.augment.mirror_prob > 0:
            if self.mirror_index is None:
                raise ValueError("mirror_prob > 0 but no mirror permutation was configured")
            flip = torch.rand(size, 1, 1, device=joints.device) < self.augment.mirror_prob
            mirrored = joints[..., self.mirror_index.to(joints.device)] * self.mirror_sign.to(joints.device)
            joints = torch.where(flip, mirrored, joints)
        return joints

    def _add_noise(self, states: Tensor) -> Tensor:
        phase = self.layout.columns()["phase"]
        noisy = phase[0] if phase is not None else self.layout.num_features
        std = self.feature_std[:noisy].to(states.device) if self.feature_std is not None else 1.0
        noise = torch.randn_like(states[..., :noisy]) * self.augment.noise_std * std
        return torch.cat([states[..., :noisy] + noise, states[..., noisy:]], dim=-1)
