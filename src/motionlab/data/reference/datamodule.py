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
from motionlab.data.reference.format import ReferenceClip, read_reference_dir
from motionlab.data.reference.pairs import PairAugment, PairBuilder, check_target, raw_window
from motionlab.data.reference.states import StateLayout, clip_states
from motionlab.data.reference.synthetic import ensure_reference_sample
from motionlab.data.report import DataReport
from motionlab.data.sample_cache import PathOrSample
from motionlab.data.spec import DataSpec
from motionlab.errors import ConfigError

PHASE_MODES = ("auto", True, False)
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
        history: state frames per pair (1: the current state only; more for sequence encoders).
        target: ``next`` (the next frame's joint values) or ``delta`` (their change).
        state: ``velocities`` (bool) and ``phase`` (``auto``: when any clip loops, or a bool).
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
        self.set_source(path, cache_dir, sample)
        self.default_fps = fps
        self.default_loop = loop
        self.history = history
        self.target = target
        self.state_cfg = {"velocities": bool(state["velocities"]), "phase": state["phase"]}
        self.pair_augment = pair_augment
        self.pair_mirror = (mirror_pairs, list(mirror_negate))
        self.layout: StateLayout | None = None
        self.pairs: PairBuilder | None = None
        self.target_stats: tuple[Tensor, Tensor] | None = None

    # ----------------------------------------------------------------- engine hooks
    def load_recordings(self) -> list[Recording]:
        clips = read_reference_dir(self.data_path(), self.default_fps, self.default_loop)
        phase = self.state_cfg["phase"]
        self.layout = StateLayout(
            clips[0].joint_names,
            clips[0].fps,
            velocities=self.state_cfg["velocities"],
            phase=any(clip.loop for clip in clips) if phase == "auto" else bool(phase),
        )
        self.pairs = PairBuilder(self.layout, self.history, self.target, self.pair_augment)
        return [self._recording(clip) for clip in clips]

    def _recording(self, clip: ReferenceClip) -> Recording:
        """The clip's states; a loop's recording starts with its last ``window - 1`` frames again."""
        frame = np.arange(-(self.window - 1) if clip.loop else 0, len(clip))
        states = clip_states(clip, self.layout).numpy()[frame % len(clip)]
        return Recording(
            name=clip.name,
            frames=np.ascontiguousarray(states),
            feature_names=self.layout.feature_names,
            fps=clip.fps,
            group=clip.name,
            source=clip.source,
            targets={
                "frame": frame.astype(np.float32),
                "period": np.full(len(frame), float(len(clip)) if clip.loop else 0.0, dtype=np.float32),
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
        }

    def extend_report(self, report: DataReport) -> None:
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
            "state_features": self.layout.feature_names,
        }
        if self.pair_augment.mirror_prob > 0 and self.pair_mirror[0] == "auto":
            index, _ = mirror_permutation(self.layout.joint_names, "auto")
            if index == list(range(len(index))):
                report.warn(
                    "data.augment.mirror_prob > 0 but no left_*/right_* joint pairs were found: mirroring "
                    "changes nothing; list data.augment.mirror_pairs or set mirror_prob to 0"
                )

    # ----------------------------------------------------------------- batches
    def on_after_batch_transfer(self, batch: dict[str, Tensor], dataloader_idx: int) -> dict[str, Tensor]:
        """Windows → pairs on the device, augmented for training batches only."""
        training = self.trainer is not None and self.trainer.training
        return self.pairs(batch, augment=training)


def _clip_summary(clip: ReferenceClip) -> dict[str, Any]:
    return {"name": clip.name, "frames": len(clip), "loop": clip.loop}
