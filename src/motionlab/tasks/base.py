"""`MotionTask`: what every task LightningModule shares.

A task owns a normaliser (training-split statistics as buffers), an encoder built from its config
for the data's feature count, and the task heads. Its constructor arguments are plain dicts, saved
as hyperparameters, so a checkpoint alone rebuilds the model (``Task.load_from_checkpoint(path)``).

Every task answers the same questions for export: `forward` gives the raw outputs (logits,
normalised values) by name and `declare_outputs` declares each of them once (`Output`: its app-facing
name, the transform to it, labels, descriptions). From that declaration follow `predict_outputs` (the
app-facing outputs: probabilities, values in original units), `raw_outputs` (their inverse),
`output_labels` and `output_descriptions`; `export_metadata` adds what else an app needs.

Logging never forces a GPU sync per step: step-level values go to the loggers only (which read them
every ``log_every_n_steps``), epoch metrics are torchmetrics computed once per epoch.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import lightning as L
import torch
from lightning.pytorch.loggers import TensorBoardLogger
from matplotlib.figure import Figure
from torch import Tensor, nn
from torchmetrics import Metric

from motionlab.data.recording import Recording
from motionlab.data.spec import DataSpec
from motionlab.data.windows import WindowDataset, WindowSet
from motionlab.models.encoders import Encoder
from motionlab.models.normalizer import Normalizer
from motionlab.targets import instantiate_allowed
from motionlab.tasks.common.optim import build_optimizer, build_scheduler
from motionlab.tasks.outputs import Output

STAGES = ("train", "val", "test")

# Epoch values are logged after torchmetrics has reduced them across processes; Lightning cannot know
# that and would recommend sync_dist=True for each of them on every epoch of a distributed run.
warnings.filterwarnings("ignore", message=r".*when logging on epoch level in distributed setting")
# A task whose closed-form fit is all it trains (`MotionTask.trains_after_fit`) skips its training
# batches on purpose.
warnings.filterwarnings("ignore", message=r"`training_step` returned `None`")


def build_encoder(config: Mapping[str, Any], input_dim: int) -> Encoder:
    """The encoder of ``config`` (the ``model`` group, or a checkpoint's ``hyper_parameters.encoder``):
    only one of motionlab's `Encoder` classes is built (see `motionlab.targets`)."""
    return instantiate_allowed(dict(config), Encoder, "model", input_dim=input_dim)


class MotionTask(L.LightningModule):
    """Base class. Subclasses implement `forward`, `declare_outputs`, `compute_losses`,
    `update_metrics` and `epoch_metrics`; optionally `evaluate_recordings` (whole-recording metrics),
    `figures`, `evaluation_report`, `export_metadata` and `fit_head` (docs/extending.md, "Add a task").

    Args:
        encoder: the encoder's config (``model=`` group), built here for the data's feature count.
        data_spec: `DataSpec` as a dict (features, window, fps, classes).
        optimizer: ``{name, lr, ...}`` (see `build_optimizer`).
        scheduler: ``{name, ...}`` or ``None`` (see `build_scheduler`).
        monitor: ``{metric, mode}``, the run's monitored metric (for the plateau scheduler).
    """

    #: name of the app output holding one window's class probabilities ``[B, C]`` when the task
    #: classifies windows: prediction files then also answer per recording (`recording_table`).
    window_class_output: str | None = None
    #: whether the task's runs make a model for apps (export); a pretraining run's encoder does not.
    exportable: bool = True
    #: buffers an app sets per person, which the exported model takes as inputs
    #: (`motionlab.export.calibration`); none for most tasks.
    calibration_inputs: tuple[str, ...] = ()

    def __init__(
        self,
        encoder: Mapping[str, Any],
        data_spec: Mapping[str, Any],
        optimizer: Mapping[str, Any],
        scheduler: Mapping[str, Any] | None,
        monitor: Mapping[str, str],
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False)
        self.spec = DataSpec(**data_spec)
        self.normalizer = Normalizer(self.spec.num_features)
        self.encoder = build_encoder(encoder, self.spec.num_features)
        self.eval_details: dict[str, Any] = {}
        self._loss_means = StageMetrics(nn.ModuleDict)  # per stage: loss term → WindowMean

    def encoder_input(self, x: Tensor) -> Tensor:
        """Raw ``[B, T, F]`` → what the encoder reads (normalised features)."""
        return self.normalizer(x)

    def features(self, x: Tensor) -> Tensor:
        """Raw ``[B, T, F]`` → per-frame encoder features ``[B, T, H]``."""
        return self.encoder(self.encoder_input(x))

    @torch.no_grad()
    def fit_encoder(self, x: Tensor) -> Tensor | None:
        """Fit the encoder's data-dependent buffers (`Encoder.fit_to_data`) on raw training windows
        ``[N, T, F]``, once the normaliser holds the training statistics. Returns what the encoder's
        fit returns: the mean-pooled features of ``x`` when it computed them, else ``None``."""
        return self.encoder.fit_to_data(self.encoder_input(x))

    #: whether `fit_head` fits heads from data before the first epoch (then `train` gathers the
    #: training and validation windows for it).
    fits_head: bool = False
    #: whether `fit_head` learns from the data's unlabelled recordings (`ClassifyTask`'s
    #: ``self_training``); a run given unlabelled recordings otherwise warns that they go unused.
    learns_from_unlabelled: bool = False

    def fit_head(
        self,
        train: dict[str, Tensor],
        val: dict[str, Tensor],
        train_pooled: Tensor | None = None,
        unlabelled: dict[str, Tensor] | None = None,
    ) -> None:
        """Fit heads in closed form on every training window (``train``: a batch of the whole split;
        ``val``: the validation split's, for choosing settings), after `fit_encoder`. ``train_pooled``:
        the encoder's mean-pooled features of ``train``'s windows, in order, when `fit_encoder`
        returned them for exactly these windows (a task may use them instead of computing them).
        ``unlabelled``: the data's unlabelled windows (`MotionDataModule.unlabelled`) as one batch, or
        ``None``. Every batch carries each window's recording and group (``RECORDING_INDEX``,
        ``GROUP_INDEX``: codes). Only tasks with ``fits_head`` implement it."""
        raise NotImplementedError

    # ----------------------------------------------------------------- subclass API
    def compute_losses(self, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Loss terms; ``loss`` is the one optimised."""
        raise NotImplementedError

    def update_metrics(self, stage: str, outputs: dict[str, Tensor], batch: dict[str, Tensor]) -> None:
        raise NotImplementedError

    def epoch_metrics(self, stage: str) -> dict[str, Tensor]:
        """Compute and reset the stage's metrics (flat ``name → scalar``, without the stage prefix)."""
        raise NotImplementedError

    def evaluate_recordings(self, stage: str, recordings: Sequence[Recording]) -> dict[str, float]:
        """Metrics that need whole recordings (e.g. repetition counts) of ``recordings``, the
        recordings whose windows ``stage`` (``val`` or ``test``) has just evaluated; none by default."""
        return {}

    def figures(self, stage: str) -> dict[str, Figure]:
        """Figures logged to TensorBoard at the end of validation and test (built only when a
        TensorBoard logger is attached, on global rank zero); the test figures are also saved as
        PNG files in the run directory."""
        return {}

    def evaluation_report(self, stage: str) -> dict[str, Any] | None:
        """A self-contained report of the stage's last evaluation, saved as ``evaluation_report.json``
        in the run directory after testing; ``None`` when the task has none."""
        return None

    # ----------------------------------------------------------------- export contract
    def declare_outputs(self) -> Sequence[Output]:
        """Every output of the task, once: raw name (`forward`'s), app name (`predict_outputs`'),
        the transform between them, descriptions and labels. Everything below follows from it."""
        raise NotImplementedError

    def predict_outputs(self, x: Tensor) -> dict[str, Tensor]:
        """App-facing outputs for raw input ``[B, T, F]``: probabilities, values in original units."""
        return self.app_outputs(self(x), x)

    def app_outputs(self, raw: dict[str, Tensor], x: Tensor) -> dict[str, Tensor]:
        """`forward`'s raw outputs for the input ``x`` → the app-facing ones (softmax, sigmoid,
        de-normalisation), in declaration order."""
        return {out.app: out.transform.to_app(raw[out.raw], x) for out in self.declare_outputs()}

    def raw_outputs(self, app: dict[str, Tensor], x: Tensor) -> dict[str, Tensor]:
        """The inverse of `app_outputs`: raw outputs equivalent to the app-facing ``app`` for the input
        ``x``, i.e. ``app_outputs(raw_outputs(app, x), x) == app`` (log-probabilities for
        probabilities, logits for sigmoids, normalised values for values in original units).

        It lets this task's own losses and metrics judge app outputs that were combined outside it:
        an ensemble averages its members' probabilities and values, then runs the task's metric code.
        """
        return {out.raw: out.transform.to_raw(app[out.app], x) for out in self.declare_outputs()}

    def output_labels(self) -> dict[str, list[str]]:
        """For app outputs whose last axis has names (classes, features, joints, issues): those names,
        by output name. Prediction files name their columns with them; other axes are numbered."""
        return {out.app: list(out.labels) for out in self.declare_outputs() if out.labels is not None}

    def output_descriptions(self) -> dict[str, str]:
        """One line per output name of `forward` and `predict_outputs`: shape and meaning."""
        outputs = self.declare_outputs()
        return {
            **{out.raw: out.raw_description for out in outputs},
            **{out.app: out.app_description for out in outputs},
        }

    def export_metadata(self) -> dict[str, Any]:
        """What an app needs besides the outputs; tasks add their own entries."""
        return {
            "task": type(self).__name__,
            "feature_names": list(self.spec.feature_names),
            "class_names": list(self.spec.class_names),
            "window": self.spec.window,
            "fps": self.spec.fps,
            "causal": bool(self.encoder.causal),
        }

    #: ``False`` when the heads fitted in closed form are all the run trains (`ClassifyTask`'s
    #: ``train_after_fit: false``): every training batch is skipped, so an epoch only validates and
    #: writes its checkpoints.
    trains_after_fit: bool = True

    # ----------------------------------------------------------------- Lightning hooks
    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> dict[str, Tensor] | None:
        """Every loss term (``loss`` is optimised; the others, detached, reach the callbacks' batch-end
        hooks as ``outputs``, e.g. for the finite-loss guard); ``None`` (Lightning skips the batch)
        when nothing trains after the closed-form fit."""
        if not self.trains_after_fit:
            return None
        losses = self._step(batch, "train")
        return {name: value if name == "loss" else value.detach() for name, value in losses.items()}

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        return self._step(batch, "val")["loss"]

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        return self._step(batch, "test")["loss"]

    def batch_outputs(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """`forward`'s outputs for a batch of windows; a task whose answer depends on more of the batch
        than its windows (their recordings' statistics: `prepare_evaluation`) overrides it."""
        return self(batch["x"])

    def prepare_evaluation(self, windows: WindowSet, groups: Sequence[str]) -> None:
        """Called before the task answers for every window of ``windows`` (``groups``: the split group
        of each of its recordings) by `batch_outputs`: by the prediction files, and by a task that
        calibrates on the evaluated windows themselves before its validation and test epochs."""

    def _step(self, batch: dict[str, Tensor], stage: str) -> dict[str, Tensor]:
        outputs = self.batch_outputs(batch)
        losses = self.compute_losses(outputs, batch)
        means = self._loss_means[stage]
        for name, value in losses.items():
            if f"{name}_mean" not in means:  # created on first use: the loss terms are the task's
                means[f"{name}_mean"] = WindowMean().to(self.device)
            means[f"{name}_mean"].update(value, batch["x"].shape[0])
        if stage == "train":
            self.log_dict({f"train/{name}_step": value for name, value in losses.items()}, on_epoch=False)
        self.update_metrics(stage, outputs, batch)
        return losses

    def on_train_epoch_end(self) -> None:
        if self.trains_after_fit:
            self._log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def _log_epoch(self, stage: str) -> None:
        metrics = self.epoch_metrics(stage)
        if stage != "train" and not self.trainer.sanity_checking:
            metrics.update(self.evaluate_recordings(stage, self.evaluated_recordings(stage)))
            self._log_figures(stage)
        # torchmetrics already synchronised across processes in compute().
        self.log_dict({f"{stage}/{name}": value for name, value in metrics.items()}, sync_dist=False)
        self.log_dict(self._epoch_losses(stage), prog_bar=stage != "train", sync_dist=False)

    def evaluated_recordings(self, stage: str) -> list[Recording]:
        """The recordings of the windows the trainer evaluates at ``stage``: those of its loader's
        `WindowDataset` (`MotionDataModule.evaluation_loader`), whichever windows it was given."""
        return self._evaluated_dataset(stage).recordings

    def evaluated_groups(self, stage: str) -> list[str]:
        """The split group (subject, session, ...) of each of `evaluated_recordings`."""
        return self._evaluated_dataset(stage).groups

    def _evaluated_dataset(self, stage: str) -> WindowDataset:
        loader = self.trainer.val_dataloaders if stage == "val" else self.trainer.test_dataloaders
        dataset = getattr(loader, "dataset", None)
        if getattr(dataset, "recordings", None) is None:
            raise ValueError(
                f"the {stage} loader is not over a WindowDataset, so it has no recordings to evaluate "
                "whole: evaluate with a MotionDataModule (or its evaluation_loader)"
            )
        return dataset

    def _epoch_losses(self, stage: str) -> dict[str, Tensor]:
        """The stage's mean loss terms over the epoch's windows, from every process (``train/loss_epoch``,
        ``val/loss``), and their accumulators reset.

        Kept as torchmetrics (sums of loss × windows and of windows, summed across processes) rather
        than ``self.log(..., sync_dist=True)``: Lightning averages the window counts across processes
        in integers, so with uneven counts per process (evaluation deals windows out without repeats)
        its mean would be off; and the training steps' values never wait for a collective.
        """
        suffix = "_epoch" if stage == "train" else ""
        losses = {}
        for key, mean in self._loss_means[stage].items():
            if mean.update_called:
                losses[f"{stage}/{key.removesuffix('_mean')}{suffix}"] = mean.compute()
            mean.reset()
        return losses

    def _log_figures(self, stage: str) -> None:
        boards = [logger for logger in self.trainer.loggers if isinstance(logger, TensorBoardLogger)]
        if not boards or not self.trainer.is_global_zero:
            return
        for tag, figure in self.figures(stage).items():
            for board in boards:
                board.experiment.add_figure(f"{stage}/{tag}", figure, global_step=self.global_step)

    def configure_optimizers(self) -> dict[str, Any]:
        # Frozen parameters (fine-tuning) stay out; unfreezing adds them as a parameter group of their own.
        trainable = [p for p in self.parameters() if p.requires_grad]
        optimizer = build_optimizer(trainable, self.hparams.optimizer)
        scheduler = build_scheduler(
            optimizer, self.hparams.scheduler, self.hparams.monitor, self.trainer.max_epochs or 1
        )
        return {"optimizer": optimizer, "lr_scheduler": scheduler} if scheduler else {"optimizer": optimizer}


class StageMetrics(nn.ModuleDict):
    """One copy of a metric collection per stage (``metrics["val"]``), so stages never share state.

    Keys are stored with a suffix because ``nn.ModuleDict`` cannot hold a key named ``train``.
    """

    def __init__(self, factory: Callable[[], nn.Module]) -> None:
        super().__init__({f"{stage}_": factory() for stage in STAGES})

    def __getitem__(self, stage: str) -> nn.Module:
        return super().__getitem__(f"{stage}_")


class WindowMean(Metric):
    """Mean over windows of per-batch mean values: ``Σ value × windows / Σ windows``.

    The two sums reduce exactly across processes whatever each one's window count, and a NaN value
    stays NaN (torchmetrics' `MeanMetric` either drops NaN or, with ``nan_strategy="disable"``,
    ignores the weights).
    """

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("total", default=torch.zeros(()), dist_reduce_fx="sum")
        self.add_state("windows", default=torch.zeros(()), dist_reduce_fx="sum")

    def update(self, value: Tensor, windows: int) -> None:
        self.total += value.detach().float() * windows
        self.windows += windows

    def compute(self) -> Tensor:
        return self.total / self.windows
