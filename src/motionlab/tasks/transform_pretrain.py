"""`TransformPretrainTask`: self-supervised transformation recognition (ssl-wearables' multi-task
pretext), for recordings with or without labels.

Each window is transformed with `TransformRecognition` (played backwards, segments shuffled, smoothly
time-warped: each with probability one half) and the encoder, mean-pooled, answers per transformation
whether it was applied (one logit each, binary cross-entropy averaged over them). Body-worn sensors'
3-D triplets (accelerometer, gyroscope: ``rotate.triplets``) are first rotated together by a random
rotation per window, in raw units before the normaliser, so that the encoder learns motion rather than
how the sensor happened to sit. The pooled features are what a classifier fine-tuned with
``init_from=<this run>`` reads (mean pooling, `ClassifyTask`'s default).

Chance is a binary cross-entropy of ln 2 ≈ 0.693 and an accuracy of one half per transformation:
``<stage>/accuracy`` (mean over transformations) and ``<stage>/accuracy/<name>`` show how far above
chance the encoder is; the evaluation report lists them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from motionlab.data.pretext_transforms import (
    TransformRecognition,
    axis_triplets,
    rotate_triplets,
    rotation_matrices,
)
from motionlab.errors import ConfigError
from motionlab.models.heads import MLPHead
from motionlab.tasks.base import StageMetrics, WindowMean
from motionlab.tasks.pretrain import SelfSupervisedTask

CHANCE_LOSS = math.log(2)


class TransformPretrainTask(SelfSupervisedTask):
    """Encoder on transformed windows → mean pooling → one logit per transformation.

    Args:
        pretext: `TransformRecognition` fields (``transforms``, ``segments``, ``warp_sigma``,
            ``warp_knots``).
        rotate: ``max_degrees`` (0: no rotation; 180 or more: uniform over all rotations) and
            ``triplets``: lists of three feature names rotated together, or ``auto`` (every
            ``<stem>_x/_y/_z`` trio of the data's features, `axis_triplets`).
        head_hidden: hidden sizes of the head (``[]`` = linear).
        head_dropout: dropout after each hidden layer of the head.
        eval_seed: seed of the validation and test draws (`SelfSupervisedTask`).
        base: `MotionTask`'s arguments (encoder, data_spec, optimizer, scheduler, monitor).
    """

    def __init__(
        self,
        pretext: Mapping[str, Any],
        rotate: Mapping[str, Any],
        head_hidden: Sequence[int] = (),
        head_dropout: float = 0.0,
        eval_seed: int = 0,
        **base: Any,
    ) -> None:
        super().__init__(eval_seed, **base)
        self.pretext = TransformRecognition(**pretext)
        self.max_degrees = float(rotate["max_degrees"])
        self.triplet_names = self._triplets(rotate.get("triplets", "auto")) if self.max_degrees > 0 else []
        index = {name: i for i, name in enumerate(self.spec.feature_names)}
        triplets = torch.tensor([[index[n] for n in trio] for trio in self.triplet_names], dtype=torch.long)
        self.register_buffer("triplets", triplets.view(-1, 3), persistent=False)
        names = self.pretext.transforms
        self.transform_head = MLPHead(self.encoder.output_dim, head_hidden, len(names), dropout=head_dropout)
        self.accuracy = StageMetrics(lambda: nn.ModuleDict({name: WindowMean() for name in names}))

    def _triplets(self, triplets: str | Sequence[Sequence[str]]) -> list[list[str]]:
        features = list(self.spec.feature_names)
        found = axis_triplets(features) if triplets == "auto" else [list(trio) for trio in triplets]
        bad = [trio for trio in found if len(trio) != 3 or any(name not in features for name in trio)]
        if bad or not found:
            raise ConfigError(
                "task.rotate.triplets",
                f"{triplets!r} gives {bad or 'no'} triplet(s) of the features {features}"
                if bad
                else f"auto found no <name>_x/_y/_z triplet among the features {features}",
                "list three feature names per 3-D sensor (e.g. [[acc_x, acc_y, acc_z]]), "
                "or task.rotate.max_degrees=0 for data that is not 3-D vectors",
            )
        return found

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        """Raw ``[B, T, F]`` → one logit per transformation and which ones were applied."""
        generator = self.eval_generator(x)
        if len(self.triplets):
            rotations = rotation_matrices(x.shape[0], self.max_degrees, x.device, generator)
            x = rotate_triplets(x, self.triplets, rotations)
        transformed, applied = self.pretext(x, generator)
        pooled = self.encoder.mean_pool(self.encoder_input(transformed))
        return {"logits": self.transform_head(pooled), "applied": applied}

    def compute_losses(self, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
        return {"loss": F.binary_cross_entropy_with_logits(outputs["logits"], outputs["applied"].float())}

    def update_metrics(self, stage: str, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> None:
        correct = ((outputs["logits"] > 0) == outputs["applied"]).float().mean(0)
        for name, value in zip(self.pretext.transforms, correct, strict=True):
            self.accuracy[stage][name].update(value, batch["x"].shape[0])

    def epoch_metrics(self, stage: str) -> dict[str, Tensor]:
        means = self.accuracy[stage]
        if not means[self.pretext.transforms[0]].update_called:
            return {}
        accuracy = {name: mean.compute() for name, mean in means.items()}
        for mean in means.values():
            mean.reset()
        self.eval_details[f"{stage}_recognition"] = {name: float(v) for name, v in accuracy.items()}
        overall = torch.stack(list(accuracy.values())).mean()
        return {"accuracy": overall, **{f"accuracy/{name}": value for name, value in accuracy.items()}}

    def evaluation_report(self, stage: str) -> dict[str, Any] | None:
        accuracy = self.eval_details.get(f"{stage}_recognition")
        if accuracy is None:
            return None
        return {
            "split": stage,
            "pretext": "transformation recognition (each applied with probability 1/2)",
            "transforms": list(self.pretext.transforms),
            "rotation": {"max_degrees": self.max_degrees, "triplets": self.triplet_names},
            "chance_loss": CHANCE_LOSS,
            "accuracy": accuracy,
        }
