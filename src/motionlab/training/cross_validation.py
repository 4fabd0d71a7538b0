"""K-fold cross-validation: ``python train.py data=csv cv.folds=5`` (docs/training.md, "Cross-validation").

The groups of the data config (subjects, sessions, clips, runners, ...) are dealt into ``cv.folds``
stratified folds by the shared split layer (`motionlab.data.splits.fold_split`); fold ``i`` is the
test set of an ordinary `train()` run in ``<run_dir>/fold_<i>/`` (summary.json, checkpoints,
TensorBoard logs, data report), whose validation split is carved group-wise from the other folds.
``<run_dir>/cv_summary.json`` gathers the folds' results with mean ± std.

Running the same command again in the same directory (``hydra.run.dir=<run_dir>``, or
``make resume RUN=<run_dir>``) skips completed folds and continues an interrupted fold from its
``last.ckpt``.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import lightning as L
from omegaconf import DictConfig, open_dict

from motionlab.errors import ConfigError
from motionlab.runs.layout import LAST_CHECKPOINT, checkpoint_path, fold_dir
from motionlab.training.cv_summary import (
    COMPLETED,
    CrossValidationSummary,
    check_test_folds_partition,
    fold_status,
    print_table,
)
from motionlab.training.run import stopped_status, train

log = logging.getLogger(__name__)

#: fold index, fold directory → the fold's composed train config.
FoldConfig = Callable[[int, Path], DictConfig]


def train_or_cross_validate(
    cfg: DictConfig, extra_callbacks: Sequence[L.Callback] = (), fold_config: FoldConfig | None = None
) -> float:
    """What ``train.py`` and a sweep trial run: one ordinary run (``cv.folds=0``), one fold of a
    cross-validation (``cv.fold=<i>``), or every fold (`cross_validate`).

    With every fold, ``extra_callbacks`` join fold 0 only (see `cross_validate`), and ``fold_config``
    builds each fold's config (default: `derived_fold_config` of ``cfg``).
    """
    folds = cv_folds(cfg)
    if not folds:
        return train(cfg, extra_callbacks)
    if cfg.cv.get("fold") is not None:
        return train(with_fold_split(cfg), extra_callbacks)
    return cross_validate(cfg, fold_config or partial(derived_fold_config, cfg), extra_callbacks)


def cv_folds(cfg: DictConfig) -> int:
    """``cv.folds`` checked: 0 (no cross-validation) or at least 2; ``cv.fold`` one of them."""
    cv = cfg.get("cv") or {}
    folds = cv.get("folds") or 0
    if folds < 0 or folds == 1:
        raise ConfigError("cv.folds", f"{folds} folds", "use 0 (no cross-validation) or at least 2")
    fold = cv.get("fold")
    if fold is not None and not 0 <= fold < max(folds, 1):
        raise ConfigError(
            "cv.fold", f"fold {fold} of {folds}", f"use 0 to {folds - 1} with cv.folds >= 2, or null"
        )
    return folds


def with_fold_split(cfg: DictConfig) -> DictConfig:
    """``cfg`` whose data split is fold ``cv.fold`` of ``cv.folds`` (``data.split.folds``/``fold``)."""
    cfg = copy.deepcopy(cfg)
    with open_dict(cfg):
        if cfg.data.get("split") is None:
            cfg.data.split = {}
        cfg.data.split.folds = cfg.cv.folds
        cfg.data.split.fold = cfg.cv.fold
    return cfg


def derived_fold_config(cfg: DictConfig, fold: int, directory: Path) -> DictConfig:
    """Fold ``fold`` of ``cfg`` writing to ``directory``: what depends on ``paths.output_dir``
    (checkpoints, logs) follows it, as long as ``cfg`` is not resolved yet (train.py's config)."""
    cfg = copy.deepcopy(cfg)
    with open_dict(cfg):
        cfg.paths.output_dir = str(directory)
        cfg.cv.fold = fold
    return cfg


def cross_validate(
    cfg: DictConfig, fold_config: FoldConfig, first_fold_callbacks: Sequence[L.Callback] = ()
) -> float:
    """Train every fold not completed yet, write ``cv_summary.json``, print the table, and return
    the mean over the folds of the monitored value (each fold's best; NaN when one has none).

    ``first_fold_callbacks`` join fold 0 only: a sweep prunes a cross-validated trial on fold 0's
    validation curve, which every trial shares (folds depend on ``data.split.seed``, not on the
    trial), and lets the later folds of a trial that survived it run to the end.
    """
    if cfg.get("ckpt_path"):
        raise ConfigError(
            "ckpt_path",
            "set for a cross-validation, which resumes each fold from its own last checkpoint",
            "drop ckpt_path; to continue a cross-validation run the same command with "
            "hydra.run.dir=<its directory> (or make resume RUN=<its directory>)",
        )
    run_dir = Path(cfg.paths.output_dir)
    summary = CrossValidationSummary(
        run_dir, cfg.cv.folds, {"metric": cfg.monitor.metric, "mode": cfg.monitor.mode}, cfg.name
    )
    summary.update()
    try:
        for fold in range(cfg.cv.folds):
            if fold_status(run_dir, fold) == COMPLETED:
                log.info("cross-validation: fold %d already completed, skipped", fold)
                continue
            _train_fold(fold_config(fold, fold_dir(run_dir, fold)), first_fold_callbacks if fold == 0 else ())
            summary.update()
        result = summary.update(COMPLETED)
        check_test_folds_partition(result["folds"])
    except BaseException as error:
        summary.update(stopped_status(error), error)
        raise
    print_table(result)
    mean = result["metrics"][cfg.monitor.metric]["mean"]
    return math.nan if mean is None else mean


def _train_fold(cfg: DictConfig, callbacks: Sequence[L.Callback]) -> float:
    """Train one fold, continuing from its ``last.ckpt`` when an earlier attempt left one."""
    last = checkpoint_path(Path(cfg.paths.output_dir), LAST_CHECKPOINT)
    if last.is_file():
        log.info("cross-validation: fold %d continues from %s", cfg.cv.fold, last)
        cfg = copy.deepcopy(cfg)
        with open_dict(cfg):
            cfg.ckpt_path = str(last)
    return train(with_fold_split(cfg), callbacks)
