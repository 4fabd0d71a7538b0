"""`train(cfg)`: one training run — the function behind ``train.py``, ``sweep.py`` and the tests.

It builds the datamodule (data report and, for data with classes, ``label_encoder.json`` saved
before any training), the task for the data's features and classes, the trainer from the
``trainer``/``callbacks``/``logger`` groups; fits (optionally resuming), tests the best checkpoint
(saving the task's evaluation report and test figures), keeps ``summary.json`` current throughout,
and returns the monitored value of the best checkpoint.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from hydra.utils import instantiate
from lightning.pytorch.callbacks import LearningRateMonitor, ModelSummary, ProgressBar
from lightning.pytorch.utilities.rank_zero import rank_zero_only
from omegaconf import DictConfig, OmegaConf
from rich import get_console
from torch import Tensor

from motionlab.baselines.report import compare_groups, minirocket_baseline, summary_line
from motionlab.data.datamodule import MotionDataModule
from motionlab.data.windows import GROUP_INDEX, RECORDING_INDEX, WindowSet
from motionlab.exits import ctrl_c_restored, signal_exit_status
from motionlab.files import write_json_atomic
from motionlab.runs.layout import (
    DATA_REPORT,
    EVALUATION_REPORT,
    LABEL_ENCODER,
    LAST_CHECKPOINT,
    RUN_CONFIG,
    RUN_LOG,
    SUMMARY,
)
from motionlab.targets import check_targets
from motionlab.tasks import ClassifyTask
from motionlab.tasks.base import MotionTask
from motionlab.training.callbacks import SummaryCallback
from motionlab.training.checkpoint_io import AtomicCheckpointIO
from motionlab.training.checkpoints import is_inside, resolve_ckpt_path
from motionlab.training.finetune import setup_finetuning
from motionlab.training.fit_clock import FitClock
from motionlab.training.hparams import log_final_hparams, metric_names, select_hparams
from motionlab.training.limits import check_finite_test_metrics, stop_reason
from motionlab.training.preflight import check_whole_numbers, refuse_completed_run
from motionlab.training.run_log import metrics_table, run_log, terminal_copy
from motionlab.training.summary import RunSummary
from motionlab.training.threads import cpu_threads

log = logging.getLogger(__name__)


def train(cfg: DictConfig, extra_callbacks: Sequence[L.Callback] = ()) -> float:
    """Train, test and summarise one run described by the composed config ``cfg``.

    ``extra_callbacks`` lets callers add callbacks that are not config (e.g. a sweep's pruning hook).
    Returns the monitored metric of the best checkpoint (NaN when none was recorded).
    """
    check_targets(cfg, "")  # the config may come from a run directory (make resume): data, not code
    check_whole_numbers(cfg.trainer)
    run_dir = Path(cfg.paths.output_dir)
    ckpt_path = resolve_ckpt_path(cfg.get("ckpt_path"))
    resuming = ckpt_path is not None and is_inside(ckpt_path, run_dir)
    if not resuming and not cfg.get("overwrite", False):
        refuse_completed_run(run_dir)
    summary = RunSummary(
        run_dir / SUMMARY,
        resumed_from=ckpt_path if resuming else None,
        name=cfg.name,
        run_dir=str(run_dir),
        monitor={"metric": cfg.monitor.metric, "mode": cfg.monitor.mode},
        max_epochs=cfg.trainer.get("max_epochs"),
        stopped_by=None,
    )
    summary.update()
    with run_log(run_dir / RUN_LOG):
        try:
            with cpu_threads(cfg.get("threads")), ctrl_c_restored():
                return _fit_and_test(cfg, run_dir, ckpt_path, summary, extra_callbacks)
        except BaseException as error:
            summary.finish(stopped_status(error), error, stopped_by=getattr(error, "stopped_by", None))
            status = signal_exit_status(error)
            if status is not None:  # Lightning ends a SIGTERM'd run with status 0: see motionlab.exits
                raise SystemExit(status) from error
            raise
        finally:
            _log_outcome(summary.data)


def stopped_status(error: BaseException) -> str:
    """The ``summary.json`` status of a run stopped by ``error``.

    ``interrupted`` for Ctrl-C and SIGTERM; an error may name its own status in a ``run_status``
    attribute (a sweep's pruning stops a run as ``pruned``); anything else ``failed``.
    """
    if isinstance(error, KeyboardInterrupt | SystemExit):
        return "interrupted"
    return getattr(error, "run_status", "failed")


def _fit_and_test(
    cfg: DictConfig,
    run_dir: Path,
    ckpt_path: str | None,
    summary: RunSummary,
    extra_callbacks: Sequence[L.Callback],
) -> float:
    L.seed_everything(cfg.seed, workers=True)
    torch.set_float32_matmul_precision(cfg.matmul_precision)
    _save_resolved_config(cfg, run_dir)

    datamodule: MotionDataModule = instantiate(cfg.data, _convert_="all")
    datamodule.prepare_data()
    datamodule.setup("fit")
    _publish_report(datamodule, run_dir)
    _save_label_encoder(datamodule.spec.class_names, run_dir)

    fit_clock = FitClock()  # from the in-memory windows to the best checkpoint
    task = build_task(cfg, datamodule.spec.to_dict())
    task.normalizer.set_stats(datamodule.feature_stats.mean, datamodule.feature_stats.std)
    train_pooled = _fit_encoder(task, datamodule, cfg.seed)
    finetuning, init_report = setup_finetuning(
        task, cfg.get("init_from"), cfg.finetune, resuming=ckpt_path is not None
    )
    # on the encoder the run starts from: the fit's features only while init_from loaded nothing over it
    _fit_head(task, datamodule, train_pooled if init_report is None else None)
    if cfg.compile.enabled:
        # In place (not torch.compile(module)): parameter names stay ``encoder.*``, without
        # ``_orig_mod.``, so checkpoints load into an uncompiled task and export as usual.
        task.encoder.compile(**OmegaConf.to_container(cfg.compile.options, resolve=True))

    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values() if c]
    callbacks = _applicable_callbacks(
        [instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c], cfg.trainer, bool(loggers)
    )
    trainer = L.Trainer(
        **OmegaConf.to_container(cfg.trainer, resolve=True),
        callbacks=[*callbacks, *finetuning, SummaryCallback(summary), *extra_callbacks],
        logger=loggers or False,
        plugins=[AtomicCheckpointIO()],
    )
    batch = batch_sizes(datamodule.batch_size, trainer)
    if trainer.is_global_zero:
        log.info(
            "global batch size %d = %d per device × %d device(s) × %d node(s) × %d accumulated batch(es)",
            *(batch[k] for k in ("global", "per_device", "devices", "num_nodes", "accumulate_grad_batches")),
        )
    summary.update(
        checkpoint_loaded=ckpt_path,
        batch_size=batch,
        data={
            name: {"recordings": s.recordings, "windows": s.windows}
            for name, s in datamodule.report.splits.items()
        },
        **({"init_from": init_report} if init_report else {}),
    )
    trainer.fit(task, datamodule=datamodule, ckpt_path=ckpt_path)
    fit_cost = fit_clock.seconds()
    summary.update(**fit_cost)
    # Read now: testing best.ckpt reloads the callbacks' state saved with it (early stopping's too).
    stopped_by = stop_reason(trainer)

    checkpoint = trainer.checkpoint_callback
    best_path = checkpoint.best_model_path if checkpoint is not None else ""
    monitored = _monitored_value(trainer, cfg.monitor.metric)
    test_metrics: dict[str, float] = {}
    reported: dict[str, Any] = {}
    if cfg.test:
        # verbose=False: the same table is printed below, where train.log gets a copy
        results = trainer.test(task, datamodule=datamodule, ckpt_path=best_path or None, verbose=False)
        test_metrics = results[0] if results else {}
        _show_metrics("test", test_metrics)
        reported = _save_evaluation(task, run_dir, "test", _baselines(cfg, task, datamodule), fit_cost) or {}
        check_finite_test_metrics(test_metrics, summary)
    log_final_hparams(
        trainer.loggers, select_hparams(cfg), metric_names(cfg.monitor.metric, monitored, test_metrics)
    )
    last_path = (
        Path(checkpoint.dirpath) / LAST_CHECKPOINT if checkpoint is not None and checkpoint.dirpath else None
    )
    summary.finish(
        "completed",
        best_checkpoint=best_path or None,
        best_score=monitored if math.isfinite(monitored) else None,
        last_checkpoint=str(last_path) if last_path is not None and last_path.exists() else None,
        global_step=trainer.global_step,
        stopped_by=stopped_by,
        test_metrics=test_metrics,
        details=task.eval_details,
        **reported,
    )
    return monitored


def build_task(cfg: DictConfig, data_spec: dict[str, Any]) -> MotionTask:
    """The run's task, untrained: ``cfg.task`` over an encoder of ``cfg.model`` for data described by
    ``data_spec`` (`DataSpec.to_dict`), monitoring ``cfg.monitor``."""
    return instantiate(
        cfg.task,
        encoder=OmegaConf.to_container(cfg.model, resolve=True),
        data_spec=data_spec,
        monitor=OmegaConf.to_container(cfg.monitor, resolve=True),
        _convert_="all",
        _recursive_=False,  # the task builds its encoder itself, from the config dict
    )


def _fit_encoder(task: MotionTask, datamodule: MotionDataModule, seed: int) -> Tensor | None:
    """Fit an encoder with data-dependent buffers (``fits_data``, e.g. ROCKET's biases) on at most its
    ``fit_windows`` training windows, a random subset drawn from ``seed`` (the same on every process);
    on every training window when the task fits a head in closed form (``fits_head``), which needs
    every window's features anyway: the fit computes them once for both.

    Returns the mean-pooled features of every training window, in order, when the fit computed them
    (`MotionTask.fit_encoder`) on all of them, for `_fit_head`; else ``None``."""
    if not task.encoder.fits_data:
        return None
    windows = datamodule.windows["train"]
    chosen = encoder_fit_windows(task, len(windows), seed)
    pooled = task.fit_encoder(windows.gather(chosen)["x"])
    return pooled if len(chosen) == len(windows) else None


def encoder_fit_windows(task: MotionTask, windows: int, seed: int) -> Tensor:
    """The indices, sorted, of the training windows (of ``windows``) that `_fit_encoder` fits the
    task's encoder on: every one under a closed-form head, else a random ``fit_windows`` of them
    drawn from ``seed``."""
    chosen = torch.randperm(windows, generator=torch.Generator().manual_seed(seed))
    if not task.fits_head:
        chosen = chosen[: task.encoder.fit_windows]
    return chosen.sort().values


def _fit_head(task: MotionTask, datamodule: MotionDataModule, train_pooled: Tensor | None) -> None:
    """Fit a task's heads in closed form (``fits_head``, e.g. `ClassifyTask`'s ``head_fit: ridge``)
    on every training window, choosing its settings on the validation windows, with the data's
    unlabelled windows; ``train_pooled``: the encoder fit's pooled features of every training window
    (`_fit_encoder`), or ``None``."""
    unlabelled = datamodule.unlabelled
    if unlabelled is not None and not task.learns_from_unlabelled:
        log.warning(
            "the %d unlabelled recording(s) of data.unlabelled go unused: this task does not learn from "
            "unlabelled recordings (for a ridge head, set task.self_training.rounds, e.g. 3)",
            len(unlabelled.recordings),
        )
    if not task.fits_head:
        return
    splits = [_with_groups(datamodule, datamodule.windows[split]) for split in ("train", "val")]
    learns = task.learns_from_unlabelled and unlabelled is not None
    task.fit_head(*splits, train_pooled, _with_groups(datamodule, unlabelled) if learns else None)
    self_trained = task.eval_details.get("head_fit", {}).get("self_training")
    if self_trained:
        log.info(
            "head fit: self-trained on %d unlabelled recording(s) of %d group(s); validation accuracy "
            "%.3f labelled-only, %.3f after %d round(s): %s",
            self_trained["unlabelled"]["recordings"],
            self_trained["unlabelled"]["groups"],
            self_trained["labelled_only"]["val_accuracy"],
            self_trained["rounds"][-1]["val_accuracy"],
            len(self_trained["rounds"]),
            "self-trained head kept" if self_trained["kept"] else "labelled-only head kept (the guard)",
        )


def _with_groups(datamodule: MotionDataModule, windows: WindowSet) -> dict[str, Tensor]:
    """Every window of ``windows`` as one batch, with each window's recording and split group as
    codes (``RECORDING_INDEX``, ``GROUP_INDEX``)."""
    batch = windows.gather(torch.arange(len(windows)))
    codes = np.unique(datamodule.recording_groups(windows.recordings), return_inverse=True)[1]
    batch[RECORDING_INDEX] = windows.recording_index
    batch[GROUP_INDEX] = torch.from_numpy(codes.reshape(-1))[windows.recording_index]
    return batch


def batch_sizes(per_device: int, trainer: L.Trainer) -> dict[str, int]:
    """Windows per optimiser step: ``global = per_device × devices × num_nodes × accumulate_grad_batches``."""
    return {
        "per_device": per_device,
        "devices": trainer.num_devices,
        "num_nodes": trainer.num_nodes,
        "accumulate_grad_batches": trainer.accumulate_grad_batches,
        "global": per_device * trainer.world_size * trainer.accumulate_grad_batches,
    }


def _applicable_callbacks(callbacks: list[L.Callback], trainer_cfg: DictConfig, has_logger: bool) -> list:
    """Drop configured callbacks that the trainer settings switch off, instead of failing.

    ``trainer.enable_progress_bar=false`` / ``enable_model_summary=false`` win over the callbacks
    group, and the LR monitor needs a logger to write to.
    """
    switched_off = []
    if not trainer_cfg.get("enable_progress_bar", True):
        switched_off.append(ProgressBar)
    if not trainer_cfg.get("enable_model_summary", True):
        switched_off.append(ModelSummary)
    if not has_logger:
        switched_off.append(LearningRateMonitor)
    return [c for c in callbacks if not isinstance(c, tuple(switched_off))]


def _monitored_value(trainer: L.Trainer, metric: str) -> float:
    checkpoint = trainer.checkpoint_callback
    if checkpoint is not None and checkpoint.best_model_score is not None:
        return float(checkpoint.best_model_score)
    value = trainer.callback_metrics.get(metric)
    return float(value) if value is not None else math.nan


@rank_zero_only
def _save_resolved_config(cfg: DictConfig, run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, run_dir / RUN_CONFIG, resolve=True)


@rank_zero_only
def _publish_report(datamodule: MotionDataModule, run_dir: Path) -> None:
    with terminal_copy():
        datamodule.report.print()
    datamodule.report.save(run_dir / DATA_REPORT)


@rank_zero_only
def _show_metrics(stage: str, metrics: dict[str, float]) -> None:
    if metrics:
        with terminal_copy():
            get_console().print(metrics_table(stage, metrics))


@rank_zero_only
def _log_outcome(summary: dict[str, Any]) -> None:
    """The run's last line on the terminal and in ``train.log``: how it ended and its best value (the
    test metrics table is printed just before)."""
    monitor = summary["monitor"]["metric"]
    parts = [
        f"run {summary['status']}"
        + (f" ({summary['stopped_by']})" if summary.get("stopped_by") else "")
        + f" after {summary.get('current_epoch', 0)} epoch(s) in {summary['duration_s']:.1f} s"
    ]
    if summary.get("best_score") is not None:
        parts.append(f"best {monitor} {summary['best_score']:.6g} ({summary.get('best_checkpoint')})")
    if summary.get("error"):
        parts.append(summary["error"])
    parts.append(f"run directory {summary['run_dir']}")
    log.log(logging.INFO if summary["status"] == "completed" else logging.WARNING, "; ".join(parts))


@rank_zero_only
def _save_label_encoder(class_names: Sequence[str], run_dir: Path) -> None:
    """``label_encoder.json``: class name ↔ index of the model's class outputs (data with classes)."""
    if class_names:
        write_json_atomic(
            run_dir / LABEL_ENCODER,
            {"class_names": list(class_names), "label_to_index": {n: i for i, n in enumerate(class_names)}},
        )


def _baselines(cfg: DictConfig, task: MotionTask, datamodule: MotionDataModule) -> dict[str, Any]:
    """The classical baselines the config asks for and the run can have: MiniRocket (``baseline.
    minirocket``) beside a window classifier, on global rank zero (other processes get none). A run
    directory's config from before the setting existed (resumed) has none."""
    settings = OmegaConf.select(cfg, "baseline.minirocket")
    if (
        not settings
        or not settings.enabled
        or not isinstance(task, ClassifyTask)
        or datamodule.class_target is None
        or not task.trainer.is_global_zero
    ):
        return {}
    baseline = minirocket_baseline(
        datamodule.windows["train"],
        datamodule.windows["test"],
        datamodule.class_target,
        datamodule.spec.class_names,
        OmegaConf.to_container(settings, resolve=True),
        cfg.seed,
        datamodule.recording_groups(datamodule.windows["test"].recordings),
    )
    return {"minirocket": baseline}


@rank_zero_only
def _save_evaluation(
    task: MotionTask, run_dir: Path, stage: str, baselines: dict[str, Any], fit_cost: dict[str, float]
) -> dict[str, Any]:
    """The task's evaluation report (``evaluation_report.json``, with the run's ``fit_cost`` and the
    ``baselines`` beside the model's results, per group too) and its figures as
    ``<stage>_<tag>.png``; the baselines are logged in one line each. Returns what ``summary.json``
    keeps of it: the ``baselines`` and the ``groups`` summary (not the whole table)."""
    report = task.evaluation_report(stage)
    if report is not None:
        report.update(fit_cost)
        if baselines:
            if "groups" in report:
                compare_groups(report["groups"], baselines)
            report["baselines"] = baselines
            for baseline in baselines.values():
                log.info(summary_line(baseline, report))
        write_json_atomic(run_dir / EVALUATION_REPORT, report)
    for tag, figure in task.figures(stage).items():
        figure.savefig(run_dir / f"{stage}_{tag}.png", dpi=100)
    groups = (report or {}).get("groups")
    return {
        **({"baselines": baselines} if baselines else {}),
        **({"groups": groups["summary"]} if groups else {}),
    }
