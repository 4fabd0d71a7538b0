"""The study driver: an Optuna study in shared storage (`motionlab.sweep.storage`), one ``train()``
run per trial.

Any number of workers (processes, on one machine or many) may run the same study: they share it
through the storage, which hands out trial numbers. Each worker records a heartbeat while a trial
runs; when a worker dies mid-trial, the next worker to start a trial marks that trial failed and
queues its parameters again (``sweep.heartbeat``).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import optuna
import yaml
from omegaconf import DictConfig, OmegaConf, open_dict
from optuna.exceptions import ExperimentalWarning
from optuna.trial import TrialState

from motionlab.errors import ConfigError, MotionlabError
from motionlab.files import read_json, write_text_atomic
from motionlab.runs.layout import SUMMARY, overrides_path, trial_dir
from motionlab.sweep.best import write_best
from motionlab.sweep.budget import TrialBudget, counted_trials, retry_dead_local_trials, worker_name
from motionlab.sweep.compose import compose_config, run_config
from motionlab.sweep.describe import describe_study, study_attributes
from motionlab.sweep.pruning import PruningCallback, make_pruner
from motionlab.sweep.space import SearchSpace, override_keys
from motionlab.sweep.storage import make_storage, storage_file
from motionlab.training.cross_validation import cv_folds, train_or_cross_validate

log = logging.getLogger(__name__)

DIRECTIONS = {"min": "minimize", "max": "maximize"}


class DivergedError(MotionlabError, RuntimeError):
    """A trial whose monitored metric never had a finite value (the run diverged)."""


def make_sampler(cfg: DictConfig, trials_so_far: int) -> optuna.samplers.BaseSampler:
    """The sampler ``sweep.sampler`` describes.

    A seed is offset by the number of trials the study already holds, so that a resumed (or a
    later) worker does not propose the first worker's parameters all over again.
    """
    seed = None if cfg.seed is None else int(cfg.seed) + trials_so_far
    if cfg.name == "tpe":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            # constant_liar: running trials of other workers count as bad results, which keeps
            # parallel workers from all sampling the same promising region.
            return optuna.samplers.TPESampler(
                seed=seed, n_startup_trials=cfg.n_startup_trials, constant_liar=True
            )
    if cfg.name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ConfigError("sweep.sampler.name", f"unknown sampler {cfg.name!r}", "use tpe or random")


def open_study(
    settings: DictConfig, direction: str | None = None, pruner: optuna.pruners.BasePruner | None = None
) -> optuna.Study:
    """Create the study ``sweep.study`` or continue it; ``direction=None`` only loads an existing one."""
    if direction is None:
        missing = ConfigError(
            "sweep.study",
            f"no study named {settings.study!r} in {settings.storage}",
            "run the sweep first, or check sweep.study and sweep.storage",
        )
        database = storage_file(str(settings.storage))
        if database is not None and not database.is_file():
            raise missing
        try:
            return optuna.load_study(study_name=settings.study, storage=make_storage(settings))
        except KeyError:
            raise missing from None
    storage = make_storage(settings)
    study = optuna.create_study(
        study_name=settings.study, storage=storage, pruner=pruner, direction=direction, load_if_exists=True
    )
    if study.direction.name.lower() != direction:
        raise ConfigError(
            "monitor.mode",
            f"study {settings.study!r} was created to {study.direction.name.lower()} its metric, "
            f"this run would {direction} it",
            "keep monitor.mode as it was, or start a new study (sweep.study=<new name>)",
        )
    study.sampler = make_sampler(settings.sampler, len(study.get_trials(deepcopy=False)))
    return study


class TrialRunner:
    """Optuna objective: one ``train()`` run per trial, in ``<sweep.dir>/trial_<number>/``.

    Every trial composes ``train.yaml`` with ``overrides`` (the search file's fixed values, then the
    command line's) and the trial's sampled values. The trial's user attributes record its run
    directory, overrides, worker and best checkpoint.

    With ``cv.folds`` a trial is a cross-validation (folds in ``trial_<number>/fold_<i>/``, results in
    its ``cv_summary.json``, no single best checkpoint): its value is the folds' mean monitored value,
    and it is pruned on fold 0's validation curve only (see `cross_validate`).
    """

    def __init__(
        self, config_dir: Path, overrides: Sequence[str], space: SearchSpace, sweep_dir: Path
    ) -> None:
        self.config_dir = config_dir
        self.overrides = list(overrides)
        self.space = space
        self.sweep_dir = sweep_dir

    def __call__(self, trial: optuna.Trial) -> float:
        run_dir = trial_dir(self.sweep_dir, trial.number)
        overrides = [*self.overrides, *self.space.suggest(trial)]
        trial.set_user_attr("run_dir", str(run_dir))
        trial.set_user_attr("overrides", overrides)
        trial.set_user_attr("worker", worker_name())
        trial.set_user_attr("best_checkpoint", None)  # a retried trial arrives with its original's attributes
        cfg = self.trial_config(overrides, run_dir)
        _save_overrides(run_dir, overrides)
        try:
            value = train_or_cross_validate(
                cfg,
                [PruningCallback(trial, cfg.monitor.metric)],
                lambda fold, fold_dir: self.trial_config([*overrides, f"cv.fold={fold}"], fold_dir),
            )
        except SystemExit as stop:  # Lightning's answer to Ctrl-C / SIGTERM: fail the trial, stop the worker
            raise KeyboardInterrupt(f"trial {trial.number} interrupted") from stop
        finally:
            best_checkpoint = _best_checkpoint(run_dir)
            if best_checkpoint:
                trial.set_user_attr("best_checkpoint", best_checkpoint)
        if not math.isfinite(value):
            raise DivergedError(
                f"{cfg.monitor.metric} had no finite value ({value}): the run diverged — "
                "narrow the search space (e.g. a lower task.optimizer.lr)"
            )
        return value

    def trial_config(self, overrides: list[str], run_dir: Path) -> DictConfig:
        """A trial's (or a trial's fold's) run config, its searched keys among the HParams columns."""
        return with_hparams_keys(run_config(self.config_dir, overrides, run_dir), self.space.distributions)


def run_sweep(
    settings: DictConfig,
    space: SearchSpace,
    overrides: Sequence[str],
    config_dir: Path,
    pruner: optuna.pruners.BasePruner | None = None,
    argv: Sequence[str] | None = None,
) -> optuna.Study:
    """Run trials of the study ``settings.study`` until it holds ``settings.n_trials`` (or
    ``settings.timeout`` seconds pass). The best-trial files are rewritten whenever a trial of this
    worker becomes the best.

    ``overrides`` are train.py overrides for every trial; a key they set is not searched. ``pruner``
    replaces the one ``settings.pruner`` describes. A new study is described in its storage (metric
    name, search file, ``argv`` as the command, git commit: `describe_study`).
    """
    overrides = list(overrides)
    space = space.without(override_keys(overrides))
    base = [*space.fixed_overrides(), *overrides]
    base_cfg = _checked_base_config(config_dir, base, space)
    pruner = pruner or make_pruner(settings.pruner, base_cfg.trainer.get("max_epochs"))
    study = open_study(settings, DIRECTIONS[base_cfg.monitor.mode], pruner)
    search = settings.get("search") or {}
    describe_study(
        study,
        base_cfg.monitor.metric,
        study_attributes(search.get("file"), search.get("params") or {}, argv),
    )
    sweep_dir = Path(settings.dir)
    _requeue_dead_workers_trials(study, settings.heartbeat.max_retry)
    counted = counted_trials(study.get_trials(deepcopy=False))
    log.info(
        "study %s (%s): %d of %d trials so far; searching %s",
        settings.study,
        settings.storage,
        counted,
        settings.n_trials,
        ", ".join(space.distributions) or "nothing",
    )
    runner, best_writer = TrialRunner(config_dir, base, space, sweep_dir), _BestWriter(sweep_dir, config_dir)
    try:
        if counted < settings.n_trials:
            study.optimize(
                runner,
                timeout=settings.timeout,
                catch=(Exception,),  # a failed trial is recorded as failed and the study goes on
                callbacks=[TrialBudget(settings.n_trials), best_writer],
            )
        _run_retries(study, runner, best_writer, settings.heartbeat.max_retry)
    except KeyboardInterrupt:
        log.warning("stopped: run the same command again to continue the study")
        raise
    return study


def _requeue_dead_workers_trials(study: optuna.Study, max_retry: int | None) -> None:
    """Fail the running trials of workers that died and queue them again: a worker elsewhere once
    its heartbeat is past the grace period, one of this host at once (its process is gone)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    retried = retry_dead_local_trials(study, max_retry)
    if retried:
        log.warning("trial(s) %s: their worker on this host is gone; failed and queued again", retried)


def _run_retries(
    study: optuna.Study, runner: TrialRunner, best_writer: _BestWriter, max_retry: int | None
) -> None:
    """Before leaving, fail the trials of workers that died since this worker's last trial started
    and run their queued retries: the budget counted them while they were running."""
    _requeue_dead_workers_trials(study, max_retry)
    waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    queued = sum("failed_trial" in trial.system_attrs for trial in waiting)  # retries, not enqueued trials
    if queued:
        log.info("running %d trial(s) queued again after their worker died", queued)
        study.optimize(runner, n_trials=queued, catch=(Exception,), callbacks=[best_writer])


class _BestWriter:
    """Rewrites the best-trial files whenever a trial becomes the study's best."""

    def __init__(self, sweep_dir: Path, config_dir: Path) -> None:
        self.sweep_dir, self.config_dir = sweep_dir, config_dir

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.state == TrialState.COMPLETE and study.best_trial.number == trial.number:
            write_best(study, self.sweep_dir, self.config_dir)


def _checked_base_config(config_dir: Path, base: list[str], space: SearchSpace) -> DictConfig:
    """Compose one trial's config before the study starts, so that a typo in the search file or on the
    command line fails once, clearly, instead of failing every trial."""
    probe = optuna.trial.FixedTrial({key: _first_value(d) for key, d in space.distributions.items()})
    cfg = compose_config(config_dir, "train", [*base, *space.suggest(probe)])
    cv_folds(cfg)
    mode = cfg.monitor.mode
    if mode not in DIRECTIONS:
        raise ConfigError("monitor.mode", f"{mode!r} is not min or max", "set monitor.mode=min or max")
    trainer = OmegaConf.to_container(cfg.trainer, resolve=True)
    if "ddp" in str(trainer.get("strategy", "")) or trainer.get("devices", 1) not in (1, "1"):
        raise ConfigError(
            "trainer.devices",
            "a sweep trial trains in the sweep's own process, on one device",
            "use trainer.devices=1 and run one worker per GPU (CUDA_VISIBLE_DEVICES=<i> python sweep.py ...)",
        )
    return cfg


def with_hparams_keys(cfg: DictConfig, keys: Iterable[str]) -> DictConfig:
    """``cfg`` whose HParams selection (``hparams.keys``) also holds ``keys``, the trial's searched
    keys: every searched parameter is a column of TensorBoard's HParams tab."""
    selected = list(cfg.hparams.get("keys") or [])
    with open_dict(cfg):
        cfg.hparams.keys = [*selected, *(key for key in keys if key not in selected)]
    return cfg


def _first_value(distribution: optuna.distributions.BaseDistribution) -> object:
    if isinstance(distribution, optuna.distributions.CategoricalDistribution):
        return distribution.choices[0]
    return distribution.low


def _save_overrides(run_dir: Path, overrides: list[str]) -> None:
    """``.hydra/overrides.yaml`` as train.py writes it, so that ``make resume RUN=<trial dir>`` works."""
    write_text_atomic(overrides_path(run_dir), yaml.safe_dump(overrides))


def _best_checkpoint(run_dir: Path) -> str | None:
    summary = run_dir / SUMMARY
    if not summary.is_file():
        return None
    return read_json(summary).get("best_checkpoint")
