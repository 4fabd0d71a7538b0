"""`ReferenceDataModule`: reference clips (seed 002) → (state history, next joint targets) pairs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor

from motionlab.data.augment import mirror_permutation
from motionlab.data.datamodule import MotionDataModule
from motionlab.data.recording import Recording
from motionlab.data.reference.checks import broken_loops, estimate_cycle, still_joints
from motionlab.data.reference.format import ReferenceClip, read_reference_dir
from motionlab.data.reference.pairs import PairAugment, PairBuilder, check_target, raw_window
from motionlab.data.reference.states import StateLayout, clip_command, clip_states
from motionlab.data.reference.synthetic import ensure_reference_sample
from motionlab.data.report import DataReport
from motionlab.data.sample_cache import PathOrSample
from motionlab.data.spec import DataSpec
from motionlab.errors import ConfigError, DataFormatError

PHASE_MODES = ("auto", True, False)
CYCLE_MODES = (False, "estimate")
STILL_JOINT_MODES = ("freeze", "keep")
#: A clip's sidecar / JSON key with its gait cycle in frames (``data.state.cycle: estimate`` reads it).
CYCLE_KEY = "cycle_frames"
# Training windows are gathered this many at a time when the target statistics are fitted.
_STATS_CHUNK = 8192


class ReferenceDataModule(PathOrSample, MotionDataModule):
    """Pairs of (the last ``history`` states, the next frame's joint targets) from reference clips.

    Every clip becomes a recording of its states (`StateLayout`, built once per clip, vectorised).
    A looping clip's recording starts with its last frames again, so that the windows ending on its
    first frames exist too: every transition of a loop, last → first included, is a training pair.
    Splits keep each clip in one split (``split.by: clip``, or a sidecar key such as ``gait``).
    The targets' normalisation statistics come from the training pairs, like the features'.

    Args:
        path: a clip ``.npy`` or a directory of them; ``None`` uses the built-in sample (generated
            on first use into ``cache_dir`` with the ``sample`` parameters).
        fps, loop: frame rate and loop flag of clips whose sidecar does not give them.
        loop_override: ``None`` (each clip's own loop flag) or a bool that replaces every clip's.
        still_joints: ``freeze`` (the policy keeps joints that never move in the training clips at
            their value) or ``keep`` (it predicts them like the others).
        history: state frames per pair (1: the current state only; more for sequence encoders).
        target: ``next`` (the next frame's joint values) or ``delta`` (their change).
        state: ``velocities`` (bool), ``phase`` (``auto``: when any clip has a period, or a bool),
            ``cycle`` (``estimate``: clips that do not loop get their gait cycle, from the ``CYCLE_KEY``
            of their metadata or estimated from their joints; ``false``: none) and ``command`` (clip
            metadata keys appended to every state).
        augment: `PairAugment` fields plus ``mirror_pairs`` (``auto`` or joint name pairs) and
            ``mirror_negate`` (joints whose sign flips when mirrored).
        **engine: `MotionDataModule` arguments (stride, batch size, split, ...); the window length
            follows from ``history`` and ``augment.time_warp`` (see `raw_window`).
    """

    generate_sample = staticmethod(ensure_reference_sample)

    def __init__(
        self,
        path: str | None,
        cache_dir: str,
        sample: Mapping[str, Any],
        fps: float,
        loop: bool,
        history: int,
        target: str,
        state: Mapping[str, Any],
        loop_override: bool | None,
        still_joints: str,
        augment: Mapping[str, Any] | None = None,
        **engine: Any,
    ) -> None:
        augment = dict(augment or {})
        mirror_pairs = augment.pop("mirror_pairs", None)
        mirror_negate = augment.pop("mirror_negate", ())
        pair_augment = PairAugment(**augment)
        super().__init__(window=raw_window(history, pair_augment.time_warp), **engine)
        check_target(target)
        if state["phase"] not in PHASE_MODES:
            raise ConfigError("data.state.phase", f"got {state['phase']!r}", "use auto, true or false")
        cycle = state["cycle"] or False
        if cycle not in CYCLE_MODES:
            raise ConfigError("data.state.cycle", f"got {cycle!r}", "use false or estimate")
        if still_joints not in STILL_JOINT_MODES:
            raise ConfigError("data.still_joints", f"got {still_joints!r}", "use freeze or keep")
        self.set_source(path, cache_dir, sample)
        self.default_fps = fps
        self.default_loop = loop
        self.loop_override = loop_override
        self.still_joint_mode = still_joints
        self.history = history
        self.target = target
        self.state_cfg = {
            "velocities": bool(state["velocities"]),
            "phase": state["phase"],
            "cycle": cycle,
            "command": tuple(state["command"]),
        }
        self.frozen_joints: list[str] = []
        self.pair_augment = pair_augment
        self.pair_mirror = (mirror_pairs, list(mirror_negate))
        self.layout: StateLayout | None = None
        self.pairs: PairBuilder | None = None
        self.target_stats: tuple[Tensor, Tensor] | None = None

    # ----------------------------------------------------------------- engine hooks
    def load_recordings(self) -> list[Recording]:
        clips = [
            self._prepared(clip)
            for clip in read_reference_dir(self.data_path(), self.default_fps, self.default_loop)
        ]
        phase = self.state_cfg["phase"]
        self.layout = StateLayout(
            clips[0].joint_names,
            clips[0].fps,
            velocities=self.state_cfg["velocities"],
            phase=any(clip.period > 0 for clip in clips) if phase == "auto" else bool(phase),
            command=self.state_cfg["command"],
        )
        self.pairs = PairBuilder(self.layout, self.history, self.target, self.pair_augment)
        return [self._recording(clip) for clip in clips]

    def _prepared(self, clip: ReferenceClip) -> ReferenceClip:
        """``clip`` with ``loop_override`` applied and, with ``state.cycle: estimate``, its cycle."""
        if self.loop_override is not None:
            clip = dataclasses.replace(clip, loop=bool(self.loop_override))
        if self.state_cfg["cycle"] != "estimate" or clip.loop:
            return clip
        cycle = clip.meta.get(CYCLE_KEY)
        if cycle is None:
            cycle = estimate_cycle(clip.joints)
        elif isinstance(cycle, bool) or not isinstance(cycle, int | float) or cycle <= 0:
            raise DataFormatError(
                clip.described_by or clip.source,
                f"'{CYCLE_KEY}' must be a positive number of frames, got {cycle!r}",
                "write the length of one gait cycle in frames, or remove the key to estimate it",
            )
        return dataclasses.replace(clip, cycle=float(cycle))

    def _recording(self, clip: ReferenceClip) -> Recording:
        """The clip's states; a loop's recording starts with its last ``window - 1`` frames again."""
        frame = np.arange(-(self.window - 1) if clip.loop else 0, len(clip))
        states = clip_states(clip, self.layout).numpy()[frame % len(clip)]
        command = clip_command(clip, self.layout.command)
        return Recording(
            name=clip.name,
            frames=np.ascontiguousarray(states),
            feature_names=self.layout.feature_names,
            fps=clip.fps,
            group=clip.name,
            source=clip.source,
            targets={
                "frame": frame.astype(np.float32),
                "period": np.full(len(frame), clip.period, dtype=np.float32),
                "command": np.broadcast_to(command, (len(frame), len(command))).astype(np.float32),
            },
            meta={**clip.meta, "clip": clip.name, "reference_clip": clip},
        )

    def setup(self, stage: str | None = None) -> None:
        if self.windows:
            return
        super().setup(stage)
        self.pairs.set_feature_std(self.feature_stats.std)
        mirror_pairs, mirror_negate = self.pair_mirror
        if mirror_pairs is not None:
            self.pairs.set_mirror(*mirror_permutation(self.layout.joint_names, mirror_pairs, mirror_negate))
        self.target_stats = self._fit_target_stats()

    def _fit_target_stats(self) -> tuple[Tensor, Tensor]:
        """Mean and std of the training pairs' targets (no augmentation), float64 accumulation."""
        windows = self.windows["train"]
        total = torch.zeros(self.layout.num_joints, dtype=torch.float64)
        squares = torch.zeros_like(total)
        for index in torch.arange(len(windows)).split(_STATS_CHUNK):
            target = self.pairs(windows.gather(index))["target"].double()
            total += target.sum(dim=0)
            squares += target.square().sum(dim=0)
        mean = total / len(windows)
        std = (squares / len(windows) - mean.square()).clamp(min=0).sqrt()
        return mean.float(), torch.where(std < 1e-6, torch.ones_like(std), std).float()

    @property
    def spec(self) -> DataSpec:
        """The engine's spec with the policy's input length (``history``) as its window."""
        return dataclasses.replace(super().spec, window=self.history)

    def spec_extras(self) -> dict[str, Any]:
        mean, std = self.target_stats
        return {
            "state": self.layout.to_dict(),
            "history": self.history,
            "target": self.target,
            "target_mean": mean.tolist(),
            "target_std": std.tolist(),
            "train_clips": [
                _clip_summary(r.meta["reference_clip"]) for r in self.windows["train"].recordings
            ],
            "frozen_joints": list(self.frozen_joints),
            "train_mean_pose": np.concatenate(
                [r.meta["reference_clip"].joints for r in self.windows["train"].recordings]
            )
            .mean(axis=0)
            .tolist(),
        }

    def extend_report(self, report: DataReport) -> None:
        self._check_clips(report)
        report.extras["clip_files"] = {
            split: [_clip_report(r.meta["reference_clip"]) for r in windows.recordings]
            for split, windows in self.windows.items()
        }
        report.extras["clips"] = {
            split: {
                "looping": sum(r.meta["reference_clip"].loop for r in windows.recordings),
                "frames": sum(len(r.meta["reference_clip"]) for r in windows.recordings),
            }
            for split, windows in self.windows.items()
        }
        report.extras["pairs"] = {
            "history": self.history,
            "target": self.target,
            "joint_names": list(self.layout.joint_names),
            "state_features": self.layout.feature_names,
            "frozen_joints": list(self.frozen_joints),
        }
        if self.pair_augment.mirror_prob > 0 and self.pair_mirror[0] == "auto":
            index, _ = mirror_permutation(self.layout.joint_names, "auto")
            if index == list(range(len(index))):
                report.warn(
                    "data.augment.mirror_prob > 0 but no left_*/right_* joint pairs were found: mirroring "
                    "changes nothing; list data.augment.mirror_pairs or set mirror_prob to 0"
                )

    def _check_clips(self, report: DataReport) -> None:
        """Warn about loops whose ends do not meet and joints that never move (and freeze those)."""
        clips = [r.meta["reference_clip"] for w in self.windows.values() for r in w.recordings]
        gaps = broken_loops(clips)
        if gaps:
            listed = ", ".join(f"{name} ({gap:.3g})" for name, gap in sorted(gaps.items()))
            report.warn(
                f"{len(gaps)} clip(s) are marked as loops but their last frame does not lead back to "
                f"their first (largest joint jump, clip units: {listed}); the pairs last -> first and "
                "the rollouts around the loop teach and judge a jump the motion never makes: set "
                "data.loop_override=false, or fix the clips' loop flag / LoopMode"
            )
        train = [r.meta["reference_clip"] for r in self.windows["train"].recordings]
        still = [self.layout.joint_names[j] for j in still_joints(train)]
        if still:
            action = (
                "frozen: the policy keeps them at their value (data.still_joints=freeze)"
                if self.still_joint_mode == "freeze"
                else "kept: the policy predicts them like the others and may move them "
                "(data.still_joints=keep; freeze is the default)"
            )
            report.warn(f"joint(s) {still} never move in the training clips; {action}")
        self.frozen_joints = still if self.still_joint_mode == "freeze" else []

    # ----------------------------------------------------------------- batches
    def on_after_batch_transfer(self, batch: dict[str, Tensor], dataloader_idx: int) -> dict[str, Tensor]:
        """Windows → pairs on the device, augmented for training batches only."""
        training = self.trainer is not None and self.trainer.training
        return self.pairs(batch, augment=training)


def _clip_summary(clip: ReferenceClip) -> dict[str, Any]:
    return {"name": clip.name, "frames": len(clip), "loop": clip.loop, "cycle": clip.cycle}


def _clip_report(clip: ReferenceClip) -> dict[str, Any]:
    """What the reader took from a clip's files: where fps, loop and joint names came from."""
    return {
        "name": clip.name,
        "source": clip.source,
        "described_by": clip.described_by or "defaults (data.fps, data.loop; joints joint_0...)",
        "fps": clip.fps,
        "loop": clip.loop,
        "cycle_frames": clip.cycle,
        "frames": len(clip),
        "joint_names": list(clip.joint_names),
    }
