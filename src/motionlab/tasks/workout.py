"""`WorkoutTask` (seed 004): exercise classification + per-frame repetition-start segmentation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.classification import BinaryAUROC, BinaryPrecision, BinaryRecall

from motionlab.data.recording import Recording
from motionlab.inference.peaks import find_peaks
from motionlab.inference.sliding import overlap_average, sliding_windows
from motionlab.models.heads import MLPHead, SequencePool
from motionlab.models.losses import FocalLoss
from motionlab.tasks.base import MotionTask, StageMetrics
from motionlab.tasks.common.classification_metrics import classification_metrics, split_classification
from motionlab.tasks.outputs import SIGMOID, Output, window_classes
from motionlab.viz.figures import confusion_matrix_figure, rep_trace_figure

# Frames whose smoothed rep-start target is at least this count as "a rep starts here" for the
# frame-level segmentation metrics (±half_width frames around each start).
SEGMENT_ON = 0.5
# Candidate peak thresholds when the counting threshold is calibrated on the validation sessions.
THRESHOLD_GRID = np.round(np.arange(0.15, 0.86, 0.05), 2)


class WorkoutTask(MotionTask):
    """Two heads on one encoder: a pooled exercise classifier and a per-frame rep-start detector.

    Loss = focal(exercise) + ``seg_weight`` × BCE(rep start). Besides window metrics, validation and
    test count repetitions on whole sessions (peaks of the overlap-averaged rep-start probability)
    and compare with the true counts: the number an app user sees.

    Args:
        cls_hidden / seg_hidden: hidden sizes of the classification / segmentation MLP heads.
        head_dropout: dropout inside the heads.
        pool: how the classifier pools frames (``mean``, ``last``, ``max``, ``attention``).
        focal_gamma, focal_alpha: focal-loss parameters (seed 004: 1.0, 0.5).
        seg_weight: weight of the segmentation loss (seed 004: 5.0).
        rep_threshold: probability a peak must reach to count as a repetition; ``None`` calibrates it
            on the validation sessions at every validation (the value minimising the count error),
            stored in the checkpoint and used unchanged on the test split.
        min_rep_seconds: minimum time between two counted repetitions.
        session_stride: step of the sliding window over whole sessions (default: window // 4).
    """

    def __init__(
        self,
        encoder: Mapping[str, Any],
        data_spec: Mapping[str, Any],
        optimizer: Mapping[str, Any],
        scheduler: Mapping[str, Any] | None,
        monitor: Mapping[str, str],
        cls_hidden: Sequence[int] = (128, 64, 32),
        seg_hidden: Sequence[int] = (128, 64, 32),
        head_dropout: float = 0.1,
        pool: str = "mean",
        focal_gamma: float = 1.0,
        focal_alpha: float = 0.5,
        seg_weight: float = 5.0,
        rep_threshold: float | None = None,
        min_rep_seconds: float = 0.8,
        session_stride: int | None = None,
    ) -> None:
        super().__init__(encoder, data_spec, optimizer, scheduler, monitor)
        width = self.encoder.output_dim
        num_classes = self.spec.num_classes
        self.pool = SequencePool(width, pool)
        self.cls_head = MLPHead(width, cls_hidden, num_classes, dropout=head_dropout)
        self.seg_head = MLPHead(width, seg_hidden, 1, dropout=head_dropout)
        self.focal = FocalLoss(gamma=focal_gamma, alpha=focal_alpha)
        self._first_session: dict[str, tuple] = {}
        self.register_buffer("count_threshold", torch.tensor(0.5 if rep_threshold is None else rep_threshold))
        self.cls_metrics = StageMetrics(lambda: classification_metrics(num_classes))
        self.seg_metrics = StageMetrics(
            lambda: MetricCollection(
                {
                    "seg_precision": BinaryPrecision(),
                    "seg_recall": BinaryRecall(),
                    "seg_auroc": BinaryAUROC(thresholds=200),
                }
            )
        )

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        h = self.features(x)
        return {"exercise_logits": self.cls_head(self.pool(h)), "rep_logits": self.seg_head(h).squeeze(-1)}

    def compute_losses(self, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
        cls_loss = self.focal(outputs["exercise_logits"], batch["label"])
        seg_loss = F.binary_cross_entropy_with_logits(outputs["rep_logits"].float(), batch["rep_target"])
        return {
            "loss": cls_loss + self.hparams.seg_weight * seg_loss,
            "cls_loss": cls_loss,
            "seg_loss": seg_loss,
        }

    def update_metrics(self, stage: str, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> None:
        self.cls_metrics[stage].update(outputs["exercise_logits"], batch["label"])
        self.seg_metrics[stage].update(
            outputs["rep_logits"].float().sigmoid().flatten(),
            (batch["rep_target"] >= SEGMENT_ON).long().flatten(),
        )

    def epoch_metrics(self, stage: str) -> dict[str, Tensor]:
        metrics, confusion = split_classification(self.cls_metrics[stage].compute(), self.spec.class_names)
        self.eval_details[f"{stage}_confusion_matrix"] = confusion.tolist()
        metrics.update(self.seg_metrics[stage].compute())
        self.cls_metrics[stage].reset()
        self.seg_metrics[stage].reset()
        return metrics

    # ----------------------------------------------------------------- whole sessions
    def evaluate_recordings(self, stage: str, recordings: Sequence[Recording]) -> dict[str, float]:
        probabilities = [self.session_rep_prob(r.frames) for r in recordings]
        true = np.array([len(r.events["rep_starts"]) for r in recordings])
        if stage == "val" and self.hparams.rep_threshold is None:
            errors = [np.abs(self._counts(probabilities, t) - true).sum() for t in THRESHOLD_GRID]
            self.count_threshold.fill_(float(THRESHOLD_GRID[int(np.argmin(errors))]))
        predicted = self._counts(probabilities, float(self.count_threshold))
        self._first_session[stage] = (recordings[0], probabilities[0])
        self.eval_details[f"{stage}_rep_counts"] = [
            {"recording": r.name, "true_reps": int(t), "predicted_reps": int(p)}
            for r, t, p in zip(recordings, true, predicted, strict=True)
        ]
        error = np.abs(predicted - true)
        return {
            "rep_count_mae": float(error.mean()),
            "rep_count_error_pct": float(100 * error.sum() / max(true.sum(), 1)),
            "rep_threshold": float(self.count_threshold),
        }

    def figures(self, stage: str) -> dict[str, Figure]:
        figures = {
            "confusion_matrix": confusion_matrix_figure(
                np.array(self.eval_details[f"{stage}_confusion_matrix"]),
                self.spec.class_names,
                f"{stage} windows, epoch {self.current_epoch}",
            )
        }
        if stage in self._first_session:
            recording, probability = self._first_session[stage]
            figures["rep_starts"] = rep_trace_figure(
                probability,
                recording.events["rep_starts"],
                self.find_reps(probability),
                self.spec.fps,
                float(self.count_threshold),
                f"{recording.name}: predicted vs true repetition starts",
            )
        return figures

    # ----------------------------------------------------------------- export contract
    def declare_outputs(self) -> tuple[Output, ...]:
        """What an app consumes: class probabilities per window and rep-start probability per frame."""
        return (
            window_classes(
                "exercise_logits", "exercise_probs", self.spec.class_names, "the exercise done in the window"
            ),
            Output(
                "rep_logits",
                "rep_start_prob",
                SIGMOID,
                "[B, T] raw per-frame rep-start scores",
                "[B, T] probability that a repetition starts at each frame; count reps as peaks >= "
                "rep_threshold at least min_rep_seconds apart after averaging overlapping windows",
            ),
        )

    def export_metadata(self) -> dict[str, Any]:
        return {
            **super().export_metadata(),
            "rep_threshold": float(self.count_threshold),
            "min_rep_seconds": self.hparams.min_rep_seconds,
            "rep_half_width": self.spec.extras.get("rep_half_width"),
        }

    def _counts(self, probabilities: list[np.ndarray], threshold: float) -> np.ndarray:
        return np.array([len(self.find_reps(p, threshold)) for p in probabilities])

    def find_reps(self, probability: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """Frames where repetitions start, from a whole recording's rep-start probability."""
        min_distance = max(1, round(self.hparams.min_rep_seconds * self.spec.fps))
        threshold = float(self.count_threshold) if threshold is None else threshold
        return find_peaks(probability, threshold, min_distance)

    @torch.no_grad()
    def session_rep_prob(self, frames: np.ndarray, chunk: int = 512) -> np.ndarray:
        """Per-frame rep-start probability over a whole recording (overlapping windows averaged)."""
        stride = self.hparams.session_stride or max(1, self.spec.window // 4)
        starts, windows = sliding_windows(frames, self.spec.window, stride)
        batch = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32))
        probs = torch.cat(
            [
                self.predict_outputs(part.to(self.device))["rep_start_prob"].cpu()
                for part in batch.split(chunk)
            ]
        )
        return overlap_average(probs.numpy(), starts, len(frames))
