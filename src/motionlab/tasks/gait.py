"""`GaitTask` (seed 003): per-frame gait phase, form score, issue flags and a self-confidence."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import Tensor, nn
from torchmetrics import CatMetric, MeanAbsoluteError, MeanSquaredError, MetricCollection
from torchmetrics.classification import MultilabelAUROC, MultilabelF1Score

from motionlab.data.gait.annotations import MAX_SCORE
from motionlab.errors import ConfigError
from motionlab.models.heads import MLPHead, SequencePool
from motionlab.pose.normalize import BodyFrame
from motionlab.tasks.base import MotionTask, StageMetrics
from motionlab.tasks.common.calibration import CalibrationMetric, fit_platt
from motionlab.tasks.common.classification_metrics import classification_metrics, split_classification
from motionlab.tasks.outputs import SIGMOID, SOFTMAX, Output, Transform, scaled_sigmoid, sigmoid_logits
from motionlab.viz.figures import confusion_matrix_figure, reliability_figure

LOSS_TERMS = ("phase", "form", "issues", "confidence")
# Inputs of the confidence head (`phase_certainty`), and the top probability below which a frame is unsure.
CERTAINTY_FEATURES = 5
UNSURE = 0.6


class GaitTask(MotionTask):
    """Four heads on one encoder (seed 003's multitask model):

    * phase: per-frame classifier over the encoder's frames (initial contact, mid-stance, toe-off, swing);
    * form: pooled regressor of the form score, ``MAX_SCORE · sigmoid`` so it stays in [0, 10];
    * issues: pooled sigmoid per issue (overstriding, vertical bounce, asymmetry);
    * confidence: estimate of the model's own correctness, trained to predict the share of the
      window's frames whose phase it gets right. It reads what the phase head's output says about
      that, pooled over the window (`phase_certainty`: top probability, margin, entropy, unsure frames,
      transitions that break the gait cycle's order), through a stop-gradient, and its target comes
      from the detached phase prediction: learning to be confident never changes what the other
      heads predict. (Fed the pooled encoder features as well, it learnt the training runners instead:
      on new runners its output did not correlate with the accuracy, while these summaries do.)
      Because training windows are easier than new runners, its output is then recalibrated on the
      validation runners at every validation (Platt scaling: ``sigmoid(scale · logit + bias)``, with
      ``calibrate_confidence``); the two numbers are buffers, saved with the checkpoint and used
      unchanged on the test split.

    Loss = Σ ``loss_weights[term]`` × term: cross-entropy over labelled frames; mean squared error of
    the score on the 0-1 scale; binary cross-entropy of the issues; binary cross-entropy of the
    confidence. Frames and windows without labels (see the annotation format) are left out of the
    terms they lack.

    Args:
        phase_hidden / pooled_hidden: hidden sizes of the per-frame head and of each pooled head.
        head_dropout: dropout inside the heads.
        pool: how the pooled heads summarise the frames (``mean``, ``last``, ``max``, ``attention``).
        loss_weights: weight of each loss term (keys `LOSS_TERMS`).
        issue_threshold: probability from which an issue counts as present (F1, the app's flags).
        calibration_bins: bins of the reliability diagram and the expected calibration error.
        calibrate_confidence: fit the confidence's Platt scaling on the validation windows.
    """

    def __init__(
        self,
        encoder: Mapping[str, Any],
        data_spec: Mapping[str, Any],
        optimizer: Mapping[str, Any],
        scheduler: Mapping[str, Any] | None,
        monitor: Mapping[str, str],
        phase_hidden: Sequence[int] = (128,),
        pooled_hidden: Sequence[int] = (128, 64),
        head_dropout: float = 0.1,
        pool: str = "mean",
        loss_weights: Mapping[str, float] | None = None,
        issue_threshold: float = 0.5,
        calibration_bins: int = 10,
        calibrate_confidence: bool = True,
    ) -> None:
        super().__init__(encoder, data_spec, optimizer, scheduler, monitor)
        weights = dict(loss_weights or dict.fromkeys(LOSS_TERMS, 1.0))
        if set(weights) != set(LOSS_TERMS):
            raise ConfigError(
                "task.loss_weights",
                f"has keys {sorted(weights)}",
                f"give one weight for each of {list(LOSS_TERMS)}",
            )
        self.loss_weights = weights
        self.issue_names = list(self.spec.extras["issue_names"])
        width = self.encoder.output_dim
        num_phases, num_issues = self.spec.num_classes, len(self.issue_names)
        self.pool = SequencePool(width, pool)
        self.phase_head = MLPHead(width, phase_hidden, num_phases, dropout=head_dropout)
        self.form_head = MLPHead(width, pooled_hidden, 1, dropout=head_dropout)
        self.issue_head = MLPHead(width, pooled_hidden, num_issues, dropout=head_dropout)
        self.confidence_head = MLPHead(CERTAINTY_FEATURES, pooled_hidden, 1, dropout=head_dropout)
        self.phase_metrics = StageMetrics(lambda: classification_metrics(num_phases))
        self.form_metrics = StageMetrics(
            lambda: MetricCollection(
                {"form_mae": MeanAbsoluteError(), "form_rmse": MeanSquaredError(squared=False)}
            )
        )
        self.issue_metrics = StageMetrics(
            lambda: MetricCollection(
                {
                    "issue_f1": MultilabelF1Score(num_issues, threshold=issue_threshold, average=None),
                    "issue_auroc": MultilabelAUROC(num_issues, average=None, thresholds=200),
                }
            )
        )
        # Per-window (confidence logit, phase accuracy) pairs, kept whole for the validation calibration.
        self.confidence_values = StageMetrics(CatMetric)
        self.register_buffer("confidence_scale", torch.tensor(1.0))
        self.register_buffer("confidence_bias", torch.tensor(0.0))
        self.body_frame = BodyFrame() if self.spec.extras.get("body_frame") else nn.Identity()

    def encoder_input(self, x: Tensor) -> Tensor:
        """Raw landmarks → (body frame, when the data says so) → normaliser."""
        return self.normalizer(self.body_frame(x))

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        h = self.features(x)
        pooled = self.pool(h)
        phase_logits = self.phase_head(h)
        return {
            "phase_logits": phase_logits,
            "form_logit": self.form_head(pooled).squeeze(-1),
            "issue_logits": self.issue_head(pooled),
            "confidence_logit": self.confidence_head(phase_certainty(phase_logits.detach())).squeeze(-1),
        }

    def calibrated_confidence(self, logit: Tensor) -> Tensor:
        return (self.confidence_scale * logit + self.confidence_bias).sigmoid()

    def confidence_logit(self, confidence: Tensor) -> Tensor:
        """The inverse of `calibrated_confidence`; with a calibration scale of 0 every confidence logit
        gives the same confidence, and 0 stands for them."""
        calibrated = sigmoid_logits(confidence) - self.confidence_bias
        scale = self.confidence_scale
        return torch.where(scale != 0, calibrated / scale, torch.zeros_like(calibrated))

    # ----------------------------------------------------------------- losses
    def compute_losses(self, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
        logits = outputs["phase_logits"].float()
        phase = batch["phase"]
        labelled = phase >= 0
        frame_loss = F.cross_entropy(logits.flatten(0, 1), phase.flatten().clamp(min=0), reduction="none")
        phase_loss = _masked_mean(frame_loss, labelled.flatten())
        form = batch["form_labelled"]
        predicted_score = outputs["form_logit"].float().sigmoid()
        form_loss = _masked_mean((predicted_score - batch["form_score"] / MAX_SCORE) ** 2, form)
        issue_terms = F.binary_cross_entropy_with_logits(
            outputs["issue_logits"].float(), batch["issues"], reduction="none"
        )
        issue_loss = _masked_mean(issue_terms.mean(dim=-1), form)
        correct, has_phase = self.phase_correctness(logits, phase)
        confidence_terms = F.binary_cross_entropy_with_logits(
            outputs["confidence_logit"].float(), correct, reduction="none"
        )
        confidence_loss = _masked_mean(confidence_terms, has_phase)
        terms = {"phase": phase_loss, "form": form_loss, "issues": issue_loss, "confidence": confidence_loss}
        total = sum(self.loss_weights[name] * value for name, value in terms.items())
        return {"loss": total, **{f"{name}_loss": value for name, value in terms.items()}}

    @staticmethod
    def phase_correctness(phase_logits: Tensor, phase: Tensor) -> tuple[Tensor, Tensor]:
        """Share of each window's labelled frames whose predicted phase is right ``[B]`` (the
        confidence target, without gradient), and whether the window has labelled frames."""
        labelled = phase >= 0
        right = (phase_logits.detach().argmax(dim=-1) == phase) & labelled
        count = labelled.sum(dim=1)
        return right.sum(dim=1) / count.clamp(min=1), count > 0

    # ----------------------------------------------------------------- metrics
    def update_metrics(self, stage: str, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> None:
        phase = batch["phase"]
        labelled = phase >= 0
        logits = outputs["phase_logits"].float()
        self.phase_metrics[stage].update(logits[labelled], phase[labelled])
        form = batch["form_labelled"]
        if form.any():
            score = MAX_SCORE * outputs["form_logit"].float().sigmoid()
            self.form_metrics[stage].update(score[form], batch["form_score"][form])
            self.issue_metrics[stage].update(
                outputs["issue_logits"].float().sigmoid()[form], (batch["issues"][form] >= 0.5).long()
            )
        correct, has_phase = self.phase_correctness(logits, phase)
        if has_phase.any():
            pairs = torch.stack([outputs["confidence_logit"].float().detach(), correct], dim=-1)
            self.confidence_values[stage].update(pairs[has_phase])

    def epoch_metrics(self, stage: str) -> dict[str, Tensor]:
        metrics, confusion = split_classification(
            self.phase_metrics[stage].compute(), self.spec.class_names, "phase_"
        )
        self.eval_details[f"{stage}_phase_confusion_matrix"] = confusion.tolist()
        metrics.update(self.form_metrics[stage].compute())
        issues = self.issue_metrics[stage].compute()
        for kind in ("issue_f1", "issue_auroc"):
            metrics[kind] = issues[kind].mean()
            metrics.update(
                {f"{kind}/{name}": v for name, v in zip(self.issue_names, issues[kind], strict=True)}
            )
        pairs = self.confidence_values[stage].compute().reshape(-1, 2).float()
        logit, outcome = pairs[:, 0], pairs[:, 1]
        if stage == "val" and self.hparams.calibrate_confidence and len(logit) > 1:
            scale, bias = fit_platt(logit, outcome)
            self.confidence_scale.fill_(scale)
            self.confidence_bias.fill_(bias)
        metrics["confidence_scale"] = self.confidence_scale.clone()
        metrics["confidence_bias"] = self.confidence_bias.clone()
        # The pairs are already gathered from every process: summing them across processes again
        # would multiply the reliability bins' counts by the number of processes.
        calibration_metric = CalibrationMetric(self.hparams.calibration_bins, sync_on_compute=False)
        calibration_metric = calibration_metric.to(logit.device)
        calibration_metric.update(self.calibrated_confidence(logit), outcome)
        calibration = calibration_metric.compute()
        metrics.update(
            {f"confidence_{name}": calibration[name].float() for name in ("ece", "brier", "skill", "corr")}
        )
        self.eval_details[f"{stage}_reliability"] = {
            key: calibration[f"bin_{key}"].tolist() for key in ("confidence", "outcome", "count")
        }
        for collection in (self.phase_metrics, self.form_metrics, self.issue_metrics, self.confidence_values):
            collection[stage].reset()
        return metrics

    def figures(self, stage: str) -> dict[str, Figure]:
        reliability = self.eval_details[f"{stage}_reliability"]
        counts = np.array(reliability["count"])
        outcome, confidence = np.array(reliability["outcome"]), np.array(reliability["confidence"])
        ece = float(np.abs(outcome - confidence) @ counts / max(counts.sum(), 1))
        return {
            "phase_confusion_matrix": confusion_matrix_figure(
                np.array(self.eval_details[f"{stage}_phase_confusion_matrix"]),
                self.spec.class_names,
                f"{stage} frames, epoch {self.current_epoch}",
            ),
            "confidence_reliability": reliability_figure(
                confidence,
                outcome,
                counts,
                ece,
                f"{stage}, epoch {self.current_epoch}",
                "phase accuracy of window",
            ),
        }

    # ----------------------------------------------------------------- export contract
    def declare_outputs(self) -> tuple[Output, ...]:
        """What an app consumes: probabilities and the score in its 0-10 units."""
        calibration = Transform(
            lambda raw, x: self.calibrated_confidence(raw), lambda app, x: self.confidence_logit(app)
        )
        return (
            Output(
                "phase_logits",
                "phase_probs",
                SOFTMAX,
                "[B, T, P] raw per-frame phase scores, P = phase_names",
                "[B, T, P] softmax over phase_names at every frame: the gait phase of the foot on the "
                "ground (swing = neither foot on the ground)",
                self.spec.class_names,
            ),
            Output(
                "form_logit",
                "form_score",
                scaled_sigmoid(MAX_SCORE),
                "[B] raw form score; form_score = 10 * sigmoid(form_logit)",
                "[B] running form of the window, 0 (poor) to 10 (excellent)",
            ),
            Output(
                "issue_logits",
                "issue_probs",
                SIGMOID,
                "[B, I] raw issue scores, I = issue_names",
                "[B, I] probability that each issue in issue_names is present; flag it at >= issue_threshold",
                self.issue_names,
            ),
            Output(
                "confidence_logit",
                "confidence",
                calibration,
                "[B] raw self-confidence; confidence = sigmoid(confidence_scale * confidence_logit + "
                "confidence_bias), calibrated on the validation runners",
                "[B] the model's estimate of the share of the window's frames whose phase it predicts "
                "correctly (calibrated on held-out runners; see confidence_ece)",
            ),
        )

    def export_metadata(self) -> dict[str, Any]:
        return {
            **super().export_metadata(),
            "phase_names": list(self.spec.class_names),
            "issue_names": self.issue_names,
            "issue_threshold": self.hparams.issue_threshold,
            "form_score_range": [0.0, MAX_SCORE],
            "confidence_calibration": {
                "scale": float(self.confidence_scale),
                "bias": float(self.confidence_bias),
            },
            "landmark_layout": {
                "landmarks": list(self.spec.extras["landmarks"]),
                "coordinates": list(self.spec.extras["coordinates"]),
                "order": "landmark-major: feature 4 * i + c is coordinate c of landmark i",
                "units": "MediaPipe pose landmarker output as is: x, y normalised to the image width "
                "and height, z relative to the hip midpoint, visibility in [0, 1]",
                "body_frame": bool(self.spec.extras.get("body_frame")),
                "missing_pose": "interpolate frames without a pose (up to a few) before calling the model",
            },
        }


def phase_certainty(phase_logits: Tensor) -> Tensor:
    """``[B, CERTAINTY_FEATURES]`` summaries of per-frame phase logits ``[B, T, P]`` over each window:
    mean top probability, mean margin between the two most likely phases, mean normalised entropy,
    share of frames whose top probability is below `UNSURE`, and share of frame-to-frame changes of
    the predicted phase that do not advance by one step in the cycle (initial contact → mid-stance →
    toe-off → swing → initial contact), which a correct prediction never makes."""
    log_probs = phase_logits.float().log_softmax(dim=-1)
    probs = log_probs.exp()
    top2 = probs.topk(2, dim=-1).values
    entropy = -(probs * log_probs).sum(dim=-1) / math.log(phase_logits.shape[-1])
    predicted = probs.argmax(dim=-1)
    step = (predicted[:, 1:] - predicted[:, :-1]) % phase_logits.shape[-1]
    features = [
        top2[..., 0].mean(dim=1),
        (top2[..., 0] - top2[..., 1]).mean(dim=1),
        entropy.mean(dim=1),
        (top2[..., 0] < UNSURE).float().mean(dim=1),
        (step > 1).float().mean(dim=1),
    ]
    return torch.stack(features, dim=-1).to(phase_logits.dtype)


def _masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` where ``mask``; 0 (with a gradient path) when nothing is selected."""
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp(min=1)
