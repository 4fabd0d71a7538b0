"""The run index: every run and sweep under ``outputs/`` at a glance (seed 002's session monitor).

    python -m motionlab.runs                 # table of runs, newest first, then sweeps
    python -m motionlab.runs outputs --json  # the same as JSON, for scripts and dashboards

A run is any directory with a ``summary.json``; a sweep is any ``outputs/sweeps/<study>/``. A run
marked ``running`` whose process is gone (killed, machine rebooted) is shown as ``stopped``: it can
be continued with ``make resume RUN=<dir>``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from motionlab.files import read_json
from motionlab.runs.layout import SUMMARY, SWEEP_BEST, TRIAL_GLOB
from motionlab.runs.status import run_status

STATUS_STYLE = {
    "completed": "green",
    "running": "cyan",
    "failed": "red",
    "interrupted": "yellow",
    "stopped": "yellow",
    "unreadable": "red",
}


@dataclass
class RunEntry:
    run_dir: str
    name: str
    status: str
    started_at: str | None
    epochs: str
    metric: str
    best: float | None
    best_checkpoint: str | None
    duration_s: float | None
    error: str | None
    stopped_by: str | None  # max_epochs | max_steps | max_time | early_stopping | non_finite_loss


@dataclass
class SweepEntry:
    study: str
    sweep_dir: str
    experiment: str
    status: str
    trials: int
    metric: str
    best_trial: int | None
    best_value: float | None
    best_checkpoint: str | None
    duration_s: float | None


def run_entry(summary_path: Path) -> RunEntry:
    try:
        summary = json.loads(summary_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        summary = {"status": "unreadable", "error": f"{summary_path}: {error}"}
    status = run_status(summary)
    monitor = summary.get("monitor") or {}
    return RunEntry(
        run_dir=str(summary_path.parent),
        name=summary.get("name", summary_path.parent.parent.name),
        status=status,
        started_at=summary.get("started_at"),
        epochs=f"{summary.get('current_epoch', 0)}/{summary.get('max_epochs') or '?'}",
        metric=f"{monitor.get('metric', '?')} ({monitor.get('mode', '?')})",
        best=summary.get("best_score"),
        best_checkpoint=summary.get("best_checkpoint"),
        duration_s=summary.get("duration_s"),
        error=summary.get("error"),
        stopped_by=summary.get("stopped_by"),
    )


def sweep_entry(sweep_dir: Path, trials: list[RunEntry]) -> SweepEntry:
    """``sweep_dir``'s best trial (``best.json``) and a summary of its ``trials``' runs: their
    experiment(s), a tally of their statuses (``running`` first while any trial runs) and the
    wall-clock span from the first trial's start to the last one's end."""
    best_file = sweep_dir / SWEEP_BEST
    best: dict[str, Any] = read_json(best_file) if best_file.is_file() else {}
    statuses = sorted(Counter(trial.status for trial in trials).items(), key=_running_first)
    return SweepEntry(
        study=sweep_dir.name,
        sweep_dir=str(sweep_dir),
        experiment=", ".join(sorted({trial.name for trial in trials})) or "-",
        status=", ".join(f"{n} {status}" for status, n in statuses) or "-",
        trials=sum(1 for p in sweep_dir.glob(TRIAL_GLOB) if p.is_dir()),
        metric=", ".join(sorted({trial.metric for trial in trials})) or "-",
        best_trial=best.get("trial"),
        best_value=best.get("value"),
        best_checkpoint=best.get("best_checkpoint"),
        duration_s=_span_s(trials),
    )


def _running_first(item: tuple[str, int]) -> tuple[bool, str]:
    return item[0] != "running", item[0]


def _span_s(runs: list[RunEntry]) -> float | None:
    timed = [(datetime.fromisoformat(r.started_at), r.duration_s or 0.0) for r in runs if r.started_at]
    if not timed:
        return None
    first = min(start for start, _ in timed)
    return max((start - first).total_seconds() + duration for start, duration in timed)


def collect(outputs: Path) -> tuple[list[RunEntry], list[SweepEntry]]:
    """Runs (newest first, sweep trials included) and sweeps found under ``outputs``."""
    runs = [run_entry(path) for path in outputs.glob(f"**/{SUMMARY}")]
    runs.sort(key=lambda r: r.started_at or "", reverse=True)
    sweeps_root = outputs / "sweeps"
    sweep_dirs = sorted(d for d in sweeps_root.iterdir() if d.is_dir()) if sweeps_root.is_dir() else []
    sweeps = [sweep_entry(d, [r for r in runs if Path(r.run_dir).is_relative_to(d)]) for d in sweep_dirs]
    return runs, sweeps


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{secs:02d}s"


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _started(timestamp: str | None) -> str:
    return "-" if not timestamp else datetime.fromisoformat(timestamp).strftime("%Y-%m-%d %H:%M")


def _table(title: str, columns: Sequence[str], right: Sequence[str]) -> Table:
    """A titled table with ``columns``, those in ``right`` right-aligned."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    return table


def print_tables(runs: list[RunEntry], sweeps: list[SweepEntry], console: Console) -> None:
    table = _table(
        f"{len(runs)} run(s)",
        ("started", "experiment", "status", "epochs", "monitored", "best", "duration", "run directory"),
        right=("epochs", "best", "duration"),
    )
    for run in runs:
        style = STATUS_STYLE.get(run.status, "")
        status = f"[{style}]{run.status}[/{style}]" if style else run.status
        table.add_row(
            _started(run.started_at),
            run.name,
            status + (f" ({run.stopped_by})" if run.stopped_by not in (None, "max_epochs") else ""),
            run.epochs,
            run.metric,
            _value(run.best),
            _duration(run.duration_s),
            run.run_dir,
        )
    console.print(table)
    for run in runs:
        if run.error:
            console.print(f"[red]{run.run_dir}[/red]: {run.error}")
    if sweeps:
        sweep_table = _table(
            f"{len(sweeps)} sweep(s)",
            (
                "study",
                "experiment",
                "trials",
                "status",
                "monitored",
                "best trial",
                "best",
                "duration",
                "best checkpoint",
            ),
            right=("trials", "best", "duration"),
        )
        for sweep in sweeps:
            sweep_table.add_row(
                sweep.study,
                sweep.experiment,
                str(sweep.trials),
                sweep.status,
                sweep.metric,
                "-" if sweep.best_trial is None else str(sweep.best_trial),
                _value(sweep.best_value),
                _duration(sweep.duration_s),
                sweep.best_checkpoint or "-",
            )
        console.print(sweep_table)


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m motionlab.runs`` (and of ``motionlab runs``, key=value)."""
    parser = argparse.ArgumentParser(prog="python -m motionlab.runs", description="List runs and sweeps.")
    parser.add_argument(
        "outputs", nargs="?", default="outputs", type=Path, help="outputs folder (default: outputs)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.outputs.is_dir():
        print(f"{args.outputs}: no such folder — train something first (make train)", file=sys.stderr)
        return 1
    runs, sweeps = collect(args.outputs)
    if args.json:
        print(
            json.dumps({"runs": [asdict(r) for r in runs], "sweeps": [asdict(s) for s in sweeps]}, indent=2)
        )
    else:
        print_tables(runs, sweeps, Console(width=200))
    return 0
