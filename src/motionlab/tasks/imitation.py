"""`ImitationTask` (seed 002): a policy that outputs the next step's joint targets from the current
state (and phase), trained on reference motion clips and judged by its closed-loop drift."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import Tensor
from torchmetrics import MeanAbsoluteError

from motionlab.data.recording import Recording
from motionlab.data.reference.format import ReferenceClip
from motionlab.data.reference.states import StateLayout
from motionlab.errors import ConfigError
from motionlab.models.heads import MLPHead
from motionlab.models.normalizer import Normalizer
from motionlab.tasks.base import MotionTask, StageMetrics
from motionlab.tasks.common.rollout import (
    RolloutResult,
    baseline_rollouts,
    closed_loop_rollout,
    one_step_baselines,
)
from motionlab.tasks.outputs import Output, Transform
from motionlab.viz.figures import rollout_figure

TARGET_DESCRIPTIONS = {
    "next": "the next frame's joint values",
    "delta": "the change of the joint values from the current state to the next frame",
}


class ImitationTask(MotionTask):
    """Policy = normaliser → encoder → the last frame's features → MLP head → normalised target.

    The loss is the MSE of the normalised target (next joint values, or their change: the data's
    ``target``). Metrics: the one-step absolute error of the next joint values per joint (``mae`` and
    ``mae/<joint>``, original units), and on validation/test the closed-loop rollout drift
    (``rollout_error``: mean joint error over ``rollout_steps`` steps or whole clips,
    ``rollout_final_error``: at the last step; see `closed_loop_rollout`), the same error of the
    policies that need no training (``baseline/<name>``, see `baseline_rollouts`) and the policy's
    ``rollout_ratio`` to the best of them (< 1: it beats standing still), and the one-step errors of
    repeating the last frame or its velocity (``baseline/one_step_<name>``).

    Joints that never move in the training clips (the data's ``frozen_joints``) are frozen: their
    normalised output is 0, i.e. no change (``delta``) or their training value (``next``).

    The data spec's extras carry the state layout, history, target kind and the targets' training
    statistics (buffers here), so a checkpoint alone rebuilds the policy.

    Args:
        head_hidden: hidden sizes of the head (empty: a linear layer on the encoder's features).
        head_dropout: dropout inside the head.
        rollout_steps: closed-loop steps per validation/test clip; ``None``: each clip whole (to its
            last frame, or once around a loop).
    """

    def __init__(
        self,
        encoder: Mapping[str, Any],
        data_spec: Mapping[str, Any],
        optimizer: Mapping[str, Any],
        scheduler: Mapping[str, Any] | None,
        monitor: Mapping[str, str],
        head_hidden: Sequence[int] = (),
        head_dropout: float = 0.0,
        rollout_steps: int | None = None,
    ) -> None:
        super().__init__(encoder, data_spec, optimizer, scheduler, monitor)
        extras = self.spec.extras
        if "state" not in extras:
            raise ConfigError(
                "task",
                "ImitationTask needs reference clips: the data has no policy state layout",
                "use data=reference (or the task of the data you chose)",
            )
        self.layout = StateLayout.from_dict(extras["state"])
        self.history = int(extras["history"])
        self.target_kind = extras["target"]
        joints = self.layout.num_joints
        self.head = MLPHead(self.encoder.output_dim, head_hidden, joints, dropout=head_dropout)
        self.target_normalizer = Normalizer(joints)
        self.target_normalizer.set_stats(
            torch.tensor(extras["target_mean"], dtype=torch.float32),
            torch.tensor(extras["target_std"], dtype=torch.float32),
        )
        frozen = set(extras.get("frozen_joints", ()))
        self.register_buffer(
            "moving_mask",
            torch.tensor([name not in frozen for name in self.layout.joint_names]).float(),
            persistent=False,  # rebuilt from the spec: checkpoints from before frozen joints still load
        )
        self.mean_pose = extras.get("train_mean_pose")
        self.mae = StageMetrics(lambda: MeanAbsoluteError(num_outputs=joints))
        self._rollouts: dict[str, RolloutResult] = {}
        self._tested_epoch: int | None = None

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        return {"target_normalised": self.head(self.features(x)[:, -1]) * self.moving_mask}

    def next_joints(self, target_normalised: Tensor, x: Tensor) -> Tensor:
        """De-normalise the policy's output; a delta is added to the current state's joints."""
        target = self.target_normalizer.inverse(target_normalised)
        if self.target_kind == "delta":
            target = target + x[:, -1, : self.layout.num_joints]
        return target

    def normalised_target(self, next_joints: Tensor, x: Tensor) -> Tensor:
        """The inverse of `next_joints`."""
        target = next_joints
        if self.target_kind == "delta":
            target = target - x[:, -1, : self.layout.num_joints]
        return self.target_normalizer(target)

    def compute_losses(self, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
        target = self.target_normalizer(batch["target"])
        return {"loss": F.mse_loss(outputs["target_normalised"].float(), target)}

    def update_metrics(self, stage: str, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> None:
        predicted = self.next_joints(outputs["target_normalised"].float(), batch["x"])
        self.mae[stage].update(predicted, batch["next_joints"])

    def epoch_metrics(self, stage: str) -> dict[str, Tensor]:
        per_joint = self.mae[stage].compute()
        self.mae[stage].reset()
        metrics = {"mae": per_joint.mean()}
        metrics.update(
            {f"mae/{name}": value for name, value in zip(self.layout.joint_names, per_joint, strict=True)}
        )
        return metrics

    # ----------------------------------------------------------------- closed loop
    def rollout(self, clips: Sequence[ReferenceClip], steps: int | None = None) -> RolloutResult:
        """Closed-loop rollout of this policy on ``clips`` (see `closed_loop_rollout`)."""
        return closed_loop_rollout(
            lambda states: self.predict_outputs(states)["next_joints"],
            clips,
            self.layout,
            self.history,
            steps or self.hparams.rollout_steps,
            self.device,
        )

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Remember the epoch of a loaded checkpoint: the test figure names it, not the last epoch."""
        super().on_load_checkpoint(checkpoint)
        self._tested_epoch = checkpoint.get("epoch")

    def on_fit_start(self) -> None:
        self._tested_epoch = None

    def evaluate_recordings(self, stage: str, recordings: Sequence[Recording]) -> dict[str, float]:
        clips = [r.meta["reference_clip"] for r in recordings]
        result = self.rollout(clips)
        self._rollouts[stage] = result
        metrics = result.summary()
        if self.mean_pose is not None:
            baselines = baseline_rollouts(
                clips, self.history, self.hparams.rollout_steps, np.array(self.mean_pose)
            )
            errors = {name: float(b.clip_error.mean()) for name, b in baselines.items()}
            metrics.update({f"baseline/{name}": error for name, error in errors.items()})
            metrics["rollout_ratio"] = metrics["rollout_error"] / max(min(errors.values()), 1e-12)
        one_step = one_step_baselines(clips)
        metrics.update({f"baseline/one_step_{name}": error for name, error in one_step.items()})
        self.eval_details[f"{stage}_rollout"] = [
            {"clip": name, "steps": int(steps), "mean_error": float(mean), "final_error": float(final)}
            for name, steps, mean, final in zip(
                result.clip_names, result.steps, result.clip_error, result.final_error, strict=True
            )
        ]
        return metrics

    def figures(self, stage: str) -> dict[str, Figure]:
        if stage not in self._rollouts:
            return {}
        result = self._rollouts[stage]
        tested = stage == "test" and self._tested_epoch is not None
        epoch = f"checkpoint of epoch {self._tested_epoch}" if tested else f"epoch {self.current_epoch}"
        return {
            "rollout": rollout_figure(
                result.reference[0, : result.steps[0]],
                result.predicted[0, : result.steps[0]],
                self.layout.joint_names,
                self.spec.fps,
                f"{result.clip_names[0]}: closed-loop rollout vs reference, {epoch}",
            )
        }

    # ----------------------------------------------------------------- export contract
    def declare_outputs(self) -> tuple[Output, ...]:
        """The next frame's joint values in original units, from states ``x [B, history, F]``."""
        return (
            Output(
                "target_normalised",
                "next_joints",
                Transform(self.next_joints, self.normalised_target),
                f"[B, J] raw policy output: {TARGET_DESCRIPTIONS[self.target_kind]}, normalised with "
                "the training targets' mean and std, J = joint_names",
                "[B, J] the next frame's joint values in the clips' units (de-normalised"
                + (", current joints added" if self.target_kind == "delta" else "")
                + "), J = joint_names",
                self.layout.joint_names,
            ),
        )

    def export_metadata(self) -> dict[str, Any]:
        return {
            **super().export_metadata(),
            "joint_names": list(self.layout.joint_names),
            "state_layout": self.layout.columns(),
            "state_definition": {
                "joints": "joint values q_t",
                "velocities": "(q_t - q_{t-1}) * fps, joint units per second",
                "phase": "sin, cos of 2*pi*(t mod P)/P, P = the clip's length T for a loop, its gait "
                "cycle (train_clips[].cycle frames) for a clip that repeats one; 0, 0 otherwise",
                "command": f"the clip's values of {list(self.layout.command)}, constant over the clip",
            },
            "history": self.history,
            "target": self.target_kind,
            "loop": any(clip["loop"] for clip in self.spec.extras["train_clips"]),
            "train_clips": list(self.spec.extras["train_clips"]),
            "frozen_joints": list(self.spec.extras.get("frozen_joints", ())),
            "rollout_steps": self.hparams.rollout_steps,
        }
