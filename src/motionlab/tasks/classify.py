"""`ClassifyTask`: one class per window (seed 001's activity classifier), for any data with classes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from motionlab.data.recording import Recording
from motionlab.data.windows import GROUP_INDEX, RECORDING_INDEX, WindowSet
from motionlab.errors import ConfigError
from motionlab.models.heads import MLPHead, SequencePool
from motionlab.models.losses import FocalLoss
from motionlab.tasks.base import MotionTask, StageMetrics
from motionlab.tasks.common.classification_metrics import (
    WindowScores,
    classification_metrics,
    classification_report,
    collect_window_scores,
    collected_windows,
    recording_details_report,
    recording_epoch_metrics,
    split_classification,
)
from motionlab.tasks.common.group_results import group_results
from motionlab.tasks.common.group_standardization import MIN_STD, group_moments, standardized_by_group
from motionlab.tasks.common.ridge import ridge_classifier
from motionlab.tasks.common.self_training import (
    SelfTraining,
    UnlabelledPool,
    recording_class_shares,
    self_trained_ridge,
)
from motionlab.tasks.outputs import Output, window_classes, window_features
from motionlab.viz.figures import confusion_matrix_figure


class ClassifyTask(MotionTask):
    """Encoder → pooling over the window's frames → MLP head → class logits.

    The loss is cross-entropy, weighted per class by the data's ``class_weights`` (inverse training
    frequency, `DataSpec`) unless ``class_weighting`` is off: with seed 001's 3-vs-23 imbalance an
    unweighted model can score well by ignoring the rare classes. ``focal_gamma > 0`` turns it into a
    focal loss; ``label_smoothing`` applies to either. Validation uses the same weighted loss, so the
    monitored ``val/loss`` rewards every class, not only the frequent ones.

    Validation and test also answer per recording: the windows' probabilities are averaged per
    labelled segment (a recording's run of one label) and logged as ``recording_acc`` and
    ``recording_f1``; the evaluation report's ``recording`` section adds the majority vote
    (docs/evaluation.md). And per evaluated group (subject, session: the split's unit): the report's
    ``groups`` section (`group_results`) and the ``worst_group_acc`` metric.

    Args:
        hidden: hidden sizes of the head (seed 001: ``[32]``).
        head_dropout: dropout after each hidden layer of the head (seed 001: 0.2).
        input_dropout: dropout on the pooled features, before the head (seed 001: 0.3, the dropout
            after its last LSTM layer).
        pool: how frames are pooled: ``mean``, ``last`` (seed 001: the last LSTM step), ``max``,
            ``attention``.
        class_weighting: weight the loss by the data's class weights.
        focal_gamma: 0 for cross-entropy, > 0 for focal loss with this γ.
        label_smoothing: share of the target mass spread uniformly over the classes.
        head_fit: ``ridge`` fits the (linear) head in closed form on the pooled features of every
            training window before the first epoch (`motionlab.tasks.common.ridge`), the penalty of
            ``ridge_alphas`` with the lowest cross-entropy on the validation windows; ``null``: the head
            trains from scratch.
        ridge_alphas: the penalties ``head_fit: ridge`` chooses from.
        train_after_fit: with ``head_fit``, ``False`` keeps the closed-form head as fitted: the run's
            epochs skip their training batches and only validate and write checkpoints (for a fixed
            encoder such as ``model=rocket``, whose features an epoch would otherwise recompute).
        standardize_per_group: the head reads each window's pooled features standardised by its split
            group's (``data.split.by``: its person's) own mean and spread over that group's windows
            (`motionlab.tasks.common.group_standardization`; labels unread): the training people's in
            the ridge fit, each evaluated person's over the windows evaluated. Needs fixed features
            (``head_fit: ridge``, ``train_after_fit: false``). ``forward`` applies the buffers
            ``calibration_mean`` / ``calibration_std`` instead (0 and 1: the exported model takes a
            person's as inputs, `motionlab.export.calibration`) and also returns the unstandardised
            ``window_features`` they are computed from.
        self_training: `SelfTraining` fields (``rounds``, ``assignment``, ``guard``): with ``rounds >
            0`` the ridge head self-trains on the data's unlabelled recordings (``data.unlabelled``),
            one pseudo-class per recording (`motionlab.tasks.common.self_training`); the rounds and
            the guard's decision land in ``summary.json`` (``details.head_fit.self_training``).
    """

    window_class_output = "class_probs"

    def __init__(
        self,
        encoder: Mapping[str, Any],
        data_spec: Mapping[str, Any],
        optimizer: Mapping[str, Any],
        scheduler: Mapping[str, Any] | None,
        monitor: Mapping[str, str],
        hidden: Sequence[int] = (32,),
        head_dropout: float = 0.2,
        input_dropout: float = 0.0,
        pool: str = "mean",
        class_weighting: bool = True,
        focal_gamma: float = 0.0,
        label_smoothing: float = 0.0,
        head_fit: str | None = None,
        ridge_alphas: Sequence[float] = (1.0,),
        train_after_fit: bool = True,
        standardize_per_group: bool = False,
        self_training: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(encoder, data_spec, optimizer, scheduler, monitor)
        self.self_training = SelfTraining(**(self_training or {}))
        if self.self_training.enabled and head_fit is None:
            raise ConfigError(
                "task.self_training.rounds",
                f"is {self.self_training.rounds} without a head fitted in closed form (head_fit: null)",
                "set task.head_fit=ridge (with task.hidden=[]; experiment=imu does), or "
                "task.self_training.rounds=0",
            )
        if head_fit not in (None, "ridge") or (head_fit and list(hidden)):
            raise ConfigError(
                "task.head_fit",
                f"{head_fit!r} with hidden layers {list(hidden)}",
                "use head_fit: ridge with a linear head (task.hidden=[]), or head_fit: null",
            )
        if not train_after_fit and head_fit is None:
            raise ConfigError(
                "task.train_after_fit",
                "false without a head fitted in closed form (head_fit: null): nothing would train",
                "set task.head_fit=ridge (with task.hidden=[]), or task.train_after_fit=true",
            )
        if head_fit and (not ridge_alphas or min(ridge_alphas) <= 0):
            raise ConfigError(
                "task.ridge_alphas",
                f"{list(ridge_alphas)}",
                "list one or more positive penalties for head_fit: ridge (e.g. [0.1, 1.0, 10.0])",
            )
        if standardize_per_group and (head_fit is None or train_after_fit):
            raise ConfigError(
                "task.standardize_per_group",
                f"true with head_fit={head_fit!r}, train_after_fit={train_after_fit}: a person's feature "
                "statistics hold only for features that stop changing once the head is fitted",
                "use it with a fixed encoder and a head fitted in closed form (experiment=imu: "
                "model=rocket, task.head_fit=ridge, task.hidden=[], task.train_after_fit=false)",
            )
        self.fits_head = head_fit is not None
        self.learns_from_unlabelled = self.self_training.enabled
        self.trains_after_fit = train_after_fit
        self.ridge_alphas = tuple(ridge_alphas)
        num_classes = self.spec.num_classes
        if num_classes < 2:
            raise ConfigError(
                "task",
                f"ClassifyTask needs data with at least 2 classes, got {self.spec.class_names}",
                "use a data config whose datamodule provides class names (CSVs read with "
                "data.columns.label=null have none: name their label column, or pretrain on them with "
                "task=pretrain)",
            )
        width = self.encoder.output_dim
        self.pool = SequencePool(width, pool)
        self.head = MLPHead(width, hidden, num_classes, dropout=head_dropout, input_dropout=input_dropout)
        self.standardizes_per_group = standardize_per_group
        if standardize_per_group:
            self.register_buffer("calibration_mean", torch.zeros(width))
            self.register_buffer("calibration_std", torch.ones(width))
            self.calibration_inputs = ("calibration_mean", "calibration_std")
        #: per evaluated window set (`prepare_evaluation`): each recording's group mean and spread
        self.recording_calibration: tuple[Tensor, Tensor] | None = None
        weights = self.spec.class_weights if class_weighting and self.spec.class_weights else None
        self.loss_fn = FocalLoss(
            gamma=focal_gamma,
            alpha=1.0,
            weight=None if weights is None else torch.tensor(weights),
            label_smoothing=label_smoothing,
        )
        self.metrics = StageMetrics(lambda: classification_metrics(num_classes))
        self.window_scores = StageMetrics(WindowScores)
        # each stage's windows of the epoch being logged (`collected_windows`), until
        # `evaluate_recordings` turns them into the results per group of the stage's last evaluation
        self.scored_windows: dict[str, dict[str, np.ndarray] | None] = {}
        self.group_tables: dict[str, dict[str, Any]] = {}

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        pooled = self.pooled_features(x)
        if not self.standardizes_per_group:
            return {"class_logits": self.head(pooled)}
        return self._standardized_outputs(pooled, self.calibration_mean, self.calibration_std)

    def _standardized_outputs(self, pooled: Tensor, mean: Tensor, std: Tensor) -> dict[str, Tensor]:
        """The head on ``pooled`` standardised by a person's ``mean`` and ``std``, and ``pooled``."""
        return {"class_logits": self.head((pooled - mean) / std), "window_features": pooled}

    def batch_outputs(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Under ``standardize_per_group``, a batch of the window set `prepare_evaluation` was given
        (its ``recording_index``) is standardised by each window's group statistics."""
        if self.recording_calibration is None or RECORDING_INDEX not in batch:
            return self(batch["x"])
        mean, std = self.recording_calibration
        which = batch[RECORDING_INDEX]
        return self._standardized_outputs(self.pooled_features(batch["x"]), mean[which], std[which])

    def on_validation_epoch_start(self) -> None:
        self._calibrate_on("val")

    def on_test_epoch_start(self) -> None:
        self._calibrate_on("test")

    def _calibrate_on(self, stage: str) -> None:
        if self.standardizes_per_group:
            dataset = self._evaluated_dataset(stage)
            self.prepare_evaluation(dataset.windows, dataset.groups)

    @torch.no_grad()
    def prepare_evaluation(self, windows: WindowSet, groups: Sequence[str]) -> None:
        """Under ``standardize_per_group``: each group's mean and spread over its windows in
        ``windows`` (``groups``: each recording's), for `batch_outputs`."""
        if not self.standardizes_per_group:
            return
        pooled = self._pooled_windows(windows.gather(torch.arange(len(windows)))["x"].to(self.device))
        names, recording_group = np.unique(np.asarray(groups), return_inverse=True)
        recording_group = torch.from_numpy(recording_group).to(self.device)
        window_group = recording_group[windows.recording_index.to(self.device)]
        mean, std = group_moments(pooled, window_group, len(names))
        self.recording_calibration = (mean[recording_group], std[recording_group])

    def pooled_features(self, x: Tensor) -> Tensor:
        """Raw ``[B, T, F]`` → the pooled features ``[B, H]`` the head reads (mean pooling asks the
        encoder for the mean, `Encoder.mean_pool`, which some compute without per-frame features)."""
        if self.pool.mode == "mean":
            return self.encoder.mean_pool(self.encoder_input(x))
        return self.pool(self.features(x))

    @torch.no_grad()
    def fit_head(
        self,
        train: dict[str, Tensor],
        val: dict[str, Tensor],
        train_pooled: Tensor | None = None,
        unlabelled: dict[str, Tensor] | None = None,
    ) -> None:
        """The ridge solution on the pooled features (``head_fit: ridge``), written into the head's
        linear layer; the chosen penalty lands in ``summary.json`` (``details.head_fit``). Under mean
        pooling, ``train_pooled`` (the encoder fit's features of the training windows) are the
        training features, not computed again. With ``self_training``, the head self-trains on
        ``unlabelled``."""
        reuse = train_pooled is not None and self.pool.mode == "mean"
        features = self._head_inputs(train_pooled if reuse else self._pooled_windows(train["x"]), train)
        val_features = self._head_inputs(self._pooled_windows(val["x"]), val)
        if self.standardizes_per_group:
            _check_groups_mix_classes(train[GROUP_INDEX], train["label"])
        validation = (val_features, val["label"])
        self_trained = None
        if self.self_training.enabled:
            fit, self_trained = self_trained_ridge(
                (features, train["label"]),
                validation,
                self._unlabelled_pool(unlabelled, train),
                self.spec.num_classes,
                self.ridge_alphas,
                recording_class_shares(train[RECORDING_INDEX], train["label"], self.spec.class_names),
                self.self_training,
            )
        else:
            fit = ridge_classifier(
                features, train["label"], self.spec.num_classes, self.ridge_alphas, *validation
            )
        linear = self.head[-1]
        linear.weight.copy_(fit.weight.T)
        linear.bias.copy_(fit.bias)
        self.eval_details["head_fit"] = {
            "method": "ridge",
            "alpha": fit.alpha,
            "val_log_loss": fit.val_log_loss,
            "val_accuracy": fit.val_accuracy,
            "windows": len(features),
        }
        if self.standardizes_per_group:
            self.eval_details["head_fit"]["groups"] = {
                "train": int(train[GROUP_INDEX].max()) + 1,
                "val": int(val[GROUP_INDEX].max()) + 1,
            }
        if self_trained is not None:
            self.eval_details["head_fit"]["self_training"] = self_trained

    def _head_inputs(self, pooled: Tensor, batch: dict[str, Tensor]) -> Tensor:
        """What the head reads of a whole split's ``pooled`` features: under ``standardize_per_group``
        standardised by each window's group (``batch``'s ``GROUP_INDEX``), else as they are."""
        return standardized_by_group(pooled, batch[GROUP_INDEX]) if self.standardizes_per_group else pooled

    def _unlabelled_pool(
        self, unlabelled: dict[str, Tensor] | None, train: dict[str, Tensor]
    ) -> UnlabelledPool:
        """The unlabelled windows' head inputs, recordings and groups, for `self_trained_ridge`."""
        if unlabelled is None:
            raise ConfigError(
                "task.self_training.rounds",
                f"is {self.self_training.rounds} but the data has no unlabelled recordings to learn from",
                "name CSVs of training recordings without labels in data.unlabelled, or set "
                "task.self_training.rounds=0",
            )
        recording = unlabelled[RECORDING_INDEX]
        recording_group = torch.zeros(int(recording.max()) + 1, dtype=torch.long)
        recording_group[recording] = unlabelled[GROUP_INDEX]
        return UnlabelledPool(
            self._head_inputs(self._pooled_windows(unlabelled["x"]), unlabelled), recording, recording_group
        )

    @torch.no_grad()
    def _pooled_windows(self, x: Tensor) -> Tensor:
        """`pooled_features` of many windows in eval mode (no dropout), 64 at a time (an encoder's
        temporaries grow with the batch: `RocketEncoder.statistics` counts gun_point-sized batches of
        256 in 3× the CPU)."""
        was_training = self.training
        self.eval()
        pooled = torch.cat([self.pooled_features(chunk) for chunk in x.split(64)])
        self.train(was_training)
        return pooled

    def compute_losses(self, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
        return {"loss": self.loss_fn(outputs["class_logits"], batch["label"])}

    def update_metrics(self, stage: str, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> None:
        self.metrics[stage].update(outputs["class_logits"], batch["label"])
        if stage != "train":
            collect_window_scores(self.window_scores[stage], outputs["class_logits"], batch)

    def epoch_metrics(self, stage: str) -> dict[str, Tensor]:
        metrics, confusion = split_classification(self.metrics[stage].compute(), self.spec.class_names)
        self.eval_details[f"{stage}_confusion_matrix"] = confusion.tolist()
        self.metrics[stage].reset()
        windows = collected_windows(self.window_scores[stage])
        self.scored_windows[stage] = windows
        if windows is not None:
            metrics.update(recording_epoch_metrics(windows, self.spec.class_names, self.eval_details, stage))
        return metrics

    def evaluate_recordings(self, stage: str, recordings: Sequence[Recording]) -> dict[str, float]:
        """``worst_group_acc``: the lowest window accuracy of the evaluated groups (subjects,
        sessions); the whole table goes to the evaluation report's ``groups`` section."""
        windows = self.scored_windows.pop(stage, None)
        if windows is None:
            self.group_tables.pop(stage, None)
            return {}
        groups = self.group_tables[stage] = group_results(
            windows["scores"],
            windows["label"],
            windows["recording"],
            self.evaluated_groups(stage),
            self.spec.class_names,
        )
        return {"worst_group_acc": groups["summary"]["worst"]["accuracy"]}

    def figures(self, stage: str) -> dict[str, Figure]:
        return {
            "confusion_matrix": confusion_matrix_figure(
                np.array(self.eval_details[f"{stage}_confusion_matrix"]),
                self.spec.class_names,
                f"{stage} windows, epoch {self.current_epoch}",
            )
        }

    def evaluation_report(self, stage: str) -> dict[str, Any] | None:
        confusion = self.eval_details.get(f"{stage}_confusion_matrix")
        if confusion is None:
            return None
        report = {"split": stage, **classification_report(np.array(confusion), self.spec.class_names)}
        recordings = recording_details_report(self.eval_details, stage, self.spec.class_names)
        if recordings is not None:
            report["recording"] = recordings
        if stage in self.group_tables:
            report["groups"] = self.group_tables[stage]
        return report

    # ----------------------------------------------------------------- export contract
    def export_metadata(self) -> dict[str, Any]:
        metadata = super().export_metadata()
        if self.standardizes_per_group:
            metadata["calibration"] = {
                "inputs": list(self.calibration_inputs),
                "shape": [self.encoder.output_dim],
                "from_output": "window_features",
                "min_std": MIN_STD,
                "how": "feed a person's calibration_mean / calibration_std: the mean and (population) "
                "standard deviation of window_features over that person's windows, which must cover "
                "their activities as their use will; 0 and 1 standardise as for the training people on "
                "average, which scores below the test_metrics (those are per person)",
            }
        return metadata

    def declare_outputs(self) -> tuple[Output, ...]:
        """What an app consumes: the probability of each class for each window."""
        classes = window_classes(
            "class_logits", "class_probs", self.spec.class_names, "the activity in the window"
        )
        if not self.standardizes_per_group:
            return (classes,)
        return (classes, window_features(self.encoder.output_dim))


def _check_groups_mix_classes(groups: Tensor, labels: Tensor) -> None:
    """Refuse per-group standardisation when every training group holds one class only (splits by
    recording, one activity each): each group's mean would be its class, and centring removes it."""
    pairs = torch.unique(torch.stack([groups, labels.long()]), dim=1).shape[1]
    if pairs == len(torch.unique(groups)):
        raise ConfigError(
            "task.standardize_per_group",
            "every training group (data.split.by) holds windows of one class only, so standardising "
            "each group by its own mean would remove what tells the classes apart",
            "split by people (name the subject column: data.columns.subject=<column>), or set "
            "task.standardize_per_group=false",
        )
