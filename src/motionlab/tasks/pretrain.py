"""`PretrainTask`: self-supervised masked reconstruction, for recordings with or without labels.

The encoder learns from every recording, labelled or not: spans of frames and whole channels of each
window are hidden (`SpanMask`, drawn on the batch's device), the encoder sees the rest, and a per-frame
head reconstructs the hidden *normalised* values; the loss is the mean squared error over the hidden
positions only. A later run starts from the encoder with ``init_from=<this run>`` (docs/training.md
"Fine-tuning", docs/pretraining.md): its heads start fresh, its normaliser is fitted on its own data.

To make learning visible, every stage also scores the **copy-mean baseline** on the same masks:
predict each hidden value by its window's mean of that channel over the visible frames (0, the
training mean, where a whole channel is hidden). ``<stage>/copy_mean_loss`` is its error,
``<stage>/relative_loss`` the model's error divided by it (below 1: the encoder has learned more than
each channel's level); both land in ``summary.json`` (``test_metrics`` and ``details``) and
``evaluation_report.json``.

Validation and test masks are drawn from a generator seeded afresh for every batch (``eval_seed``):
the same windows get the same masks in every epoch, so ``val/loss`` compares epochs fairly.
Training masks are new random draws for every batch.
Labels, if the data has them, are never read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from motionlab.data.masking import SpanMask, masked_mse, visible_mean
from motionlab.errors import ConfigError, DataFormatError
from motionlab.models.heads import MLPHead
from motionlab.tasks.base import MotionTask, StageMetrics, WindowMean
from motionlab.tasks.outputs import Output


class SelfSupervisedTask(MotionTask):
    """What every pretraining task shares: labels are never read, data in which no channel varies is
    refused, the run exports nothing (its encoder is for fine-tuning with ``init_from``), and
    validation and test draw their random masks or transformations from a generator seeded afresh
    for every batch (`eval_generator`), so ``val/loss`` compares epochs on the same draws.

    Args:
        eval_seed: seed of the validation and test draws.
        base: `MotionTask`'s arguments (encoder, data_spec, optimizer, scheduler, monitor).
    """

    exportable = False  # its encoder is for fine-tuning, not an app model: export refuses the run

    def __init__(self, eval_seed: int = 0, **base: Any) -> None:
        super().__init__(**base)
        self.eval_seed = eval_seed

    def eval_generator(self, x: Tensor) -> torch.Generator | None:
        """``None`` (fresh random draws) while training; a generator seeded with ``eval_seed`` on
        ``x``'s device otherwise."""
        if self.training and not torch.jit.is_tracing():  # tracing (TensorBoard's graph) runs it twice
            return None
        return torch.Generator(device=x.device).manual_seed(self.eval_seed)

    def setup(self, stage: str) -> None:
        """Refuse data in which no channel varies: there would be nothing to learn."""
        datamodule = self.trainer.datamodule
        stats = getattr(datamodule, "feature_stats", None)
        if stats is not None and len(stats.constant_features) == self.spec.num_features:
            raise DataFormatError(
                datamodule.describe_source(),
                f"no usable channel: every feature column {stats.constant_features} is constant over "
                "the training recordings, so there is nothing to learn from",
                "select columns that carry the motion (data.columns.features), or check the export",
            )

    # ----------------------------------------------------------------- export contract
    def declare_outputs(self) -> Sequence[Output]:
        """None for an app: `forward` returns what only the pretext's loss reads."""
        raise ConfigError(
            "task",
            f"a pretraining run ({type(self).__name__}) has no app outputs: its encoder is for fine-tuning",
            "fine-tune it (python train.py ... init_from=<this run>) and use that run's model",
        )


class PretrainTask(SelfSupervisedTask):
    """Encoder on masked windows → per-frame MLP head → the hidden normalised values.

    Args:
        base: `MotionTask`'s arguments (encoder, data_spec, optimizer, scheduler, monitor).
        mask: `SpanMask` fields (``frame_ratio``, ``span``, ``channel_ratio``).
        head_hidden: hidden sizes of the per-frame reconstruction head (``[]`` = linear).
        head_dropout: dropout after each hidden layer of the head.
        eval_seed: seed of the validation and test masks (`SelfSupervisedTask`).
    """

    def __init__(
        self,
        mask: Mapping[str, Any],
        head_hidden: Sequence[int] = (),
        head_dropout: float = 0.0,
        eval_seed: int = 0,
        **base: Any,
    ) -> None:
        super().__init__(eval_seed, **base)
        self.mask = SpanMask(**mask)
        self.reconstruction_head = MLPHead(
            self.encoder.output_dim, head_hidden, self.spec.num_features, dropout=head_dropout
        )
        self.reconstruction = StageMetrics(
            lambda: nn.ModuleDict({"model": WindowMean(), "copy": WindowMean()})
        )

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        """Raw ``[B, T, F]`` → the masked windows' reconstruction, its target and the mask."""
        target = self.normalizer(x)
        mask = self.mask(target.shape, x.device, self.eval_generator(x))
        hidden = self.encoder(target.masked_fill(mask, 0.0))
        return {"reconstruction": self.reconstruction_head(hidden), "target": target, "mask": mask}

    def compute_losses(self, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
        target, mask = outputs["target"], outputs["mask"]
        copy_mean = visible_mean(target, mask).expand_as(target)
        return {
            "loss": masked_mse(outputs["reconstruction"], target, mask),
            "copy_mean_loss": masked_mse(copy_mean, target, mask).detach(),
        }

    def update_metrics(self, stage: str, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> None:
        losses = self.compute_losses(outputs, batch)
        windows = batch["x"].shape[0]
        self.reconstruction[stage]["model"].update(losses["loss"], windows)
        self.reconstruction[stage]["copy"].update(losses["copy_mean_loss"], windows)

    def epoch_metrics(self, stage: str) -> dict[str, Tensor]:
        means = self.reconstruction[stage]
        if not means["model"].update_called:
            return {}
        model, copy = means["model"].compute(), means["copy"].compute()
        means["model"].reset()
        means["copy"].reset()
        relative = model / copy.clamp(min=torch.finfo(copy.dtype).tiny)
        self.eval_details[f"{stage}_reconstruction"] = {
            "masked_mse": float(model),
            "copy_mean_mse": float(copy),
            "relative_loss": float(relative),
        }
        return {"relative_loss": relative}

    def evaluation_report(self, stage: str) -> dict[str, Any] | None:
        details = self.eval_details.get(f"{stage}_reconstruction")
        if details is None:
            return None
        return {
            "split": stage,
            "pretext": "masked reconstruction of normalised values",
            "mask": {
                "frame_ratio": self.mask.frame_ratio,
                "span": self.mask.span,
                "channel_ratio": self.mask.channel_ratio,
            },
            **details,
        }
