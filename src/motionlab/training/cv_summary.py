"""``cv_summary.json``: a cross-validation's folds and their mean ± std, built from the fold runs' own files.

Each fold is an ordinary run with its ``summary.json`` (status, best monitored value, test metrics,
checkpoints) and ``data_report.json`` (which groups went to train/val/test). The CV summary is
derived from those files alone, so it is always consistent with them and can be rebuilt at any time
(a resumed cross-validation rebuilds it from the folds completed before the interruption).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from motionlab.data.splits import SPLITS
from motionlab.errors import DataSplitError
from motionlab.files import read_json
from motionlab.runs.layout import CV_SUMMARY, DATA_REPORT, SUMMARY, fold_dir
from motionlab.training.summary import StatusFile, finite

COMPLETED = "completed"


def fold_status(run_dir: Path, fold: int) -> str:
    """The fold run's ``summary.json`` status; ``pending`` before it started."""
    summary = _read_json(fold_dir(run_dir, fold) / SUMMARY)
    return summary.get("status", "pending")


def fold_result(run_dir: Path, fold: int) -> dict[str, Any]:
    """One fold's entry in ``cv_summary.json``, read from its run's files."""
    directory = fold_dir(run_dir, fold)
    summary = _read_json(directory / SUMMARY)
    splits = _read_json(directory / DATA_REPORT).get("splits", {})
    return {
        "fold": fold,
        "status": summary.get("status", "pending"),
        "run_dir": str(directory),
        "best_checkpoint": summary.get("best_checkpoint"),
        "monitored": summary.get("best_score"),
        "test_metrics": summary.get("test_metrics") or {},
        "duration_s": summary.get("duration_s"),
        "groups": {split: splits[split]["groups"] for split in SPLITS if split in splits},
    }


def aggregate(folds: list[dict[str, Any]], monitor_metric: str) -> dict[str, dict[str, Any]]:
    """Mean and sample standard deviation (ddof=1) over the completed folds of the monitored value
    (each fold's best, as its best checkpoint was chosen by) and of every test metric."""
    completed = [fold for fold in folds if fold["status"] == COMPLETED]
    values: dict[str, list[float]] = {monitor_metric: [_number(f["monitored"]) for f in completed]}
    for fold in completed:
        for name, value in fold["test_metrics"].items():
            values.setdefault(name, []).append(_number(value))
    return {name: _mean_std(v) for name, v in values.items()}


def check_test_folds_partition(folds: list[dict[str, Any]]) -> None:
    """Every group is in exactly one fold's test set, and every fold saw the same groups.

    Raises when they do not: the data changed between folds (e.g. recordings were added before an
    interrupted cross-validation was resumed), so the folds no longer partition one dataset.
    """
    universes = [sorted(g for split in fold["groups"].values() for g in split) for fold in folds]
    for fold, universe in zip(folds[1:], universes[1:], strict=True):
        if universe != universes[0]:
            raise DataSplitError(
                f"fold {fold['fold']} ({fold['run_dir']}) split other groups than fold 0: the data changed "
                "between folds; run the cross-validation again in a new directory"
            )
    tests = [g for fold in folds for g in fold["groups"].get("test", [])]
    if sorted(tests) != universes[0]:
        raise DataSplitError(
            "the folds' test sets do not partition the groups (a group is in no or several test sets): "
            "run the cross-validation again in a new directory"
        )


class CrossValidationSummary:
    """``<run_dir>/cv_summary.json``: status, timing and the folds' results, rewritten atomically.

    A summary already in place (an interrupted cross-validation that is resumed) keeps its start
    time and accumulated duration, and the resume is logged under ``resumes``.
    """

    def __init__(self, run_dir: Path, folds: int, monitor: dict[str, str], name: str) -> None:
        self.run_dir = run_dir
        self.folds = folds
        self.monitor = monitor
        self.status = StatusFile(
            run_dir / CV_SUMMARY,
            resumed_from=str(run_dir),
            name=name,
            run_dir=str(run_dir),
            num_folds=folds,
            monitor=monitor,
        )

    def update(self, status: str = "running", error: BaseException | None = None) -> dict[str, Any]:
        """Rebuild the summary from the fold runs' files, write it, and return it (on every process;
        only rank zero writes)."""
        folds = [fold_result(self.run_dir, fold) for fold in range(self.folds)]
        fields = {
            "completed_folds": sum(fold["status"] == COMPLETED for fold in folds),
            "metrics": aggregate(folds, self.monitor["metric"]),
            "test_groups": {str(fold["fold"]): fold["groups"].get("test", []) for fold in folds},
            "folds": folds,
        }
        if status == "running":
            self.status.update(**fields)
        else:
            self.status.finish(status, error, **fields)
        return {**self.status.data, **fields, "status": status}


def print_table(summary: dict[str, Any], console: Console | None = None) -> None:
    """Metrics as rows, folds as columns, then mean ± std."""
    folds = summary["folds"]
    done = f"{summary['completed_folds']}/{summary['num_folds']} folds {summary['status']}"
    table = Table(title=f"cross-validation: {done}", title_justify="left")
    table.add_column("metric")
    for fold in folds:
        table.add_column(f"fold {fold['fold']}", justify="right")
    table.add_column("mean ± std", justify="right")
    monitor_metric = summary["monitor"]["metric"]
    for name, stats in summary["metrics"].items():
        per_fold = [
            fold["monitored"] if name == monitor_metric else fold["test_metrics"].get(name) for fold in folds
        ]
        label = f"best {name}" if name == monitor_metric else name
        table.add_row(label, *map(_format, per_fold), f"{_format(stats['mean'])} ± {_format(stats['std'])}")
    table.add_row("test groups", *(str(len(fold["groups"].get("test", []))) for fold in folds), "")
    (console or Console()).print(table)


def _mean_std(values: list[float]) -> dict[str, Any]:
    array = np.asarray(values, dtype=np.float64)
    if len(array) == 0:
        return {"mean": None, "std": None, "folds": 0}
    std = float(array.std(ddof=1)) if len(array) > 1 else math.nan
    return {"mean": finite(float(array.mean())), "std": finite(std), "folds": len(array)}


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _format(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"


def _read_json(path: Path) -> dict[str, Any]:
    """The file's JSON, or nothing yet (a fold that has not started)."""
    return read_json(path) if path.is_file() else {}
