"""The analyzer's terminal output: a table per video and a summary table over a batch (rich)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

_STYLE = {"High": "green", "Good": "green", "Moderate": "yellow", "Low": "red"}


def confidence_text(confidence: dict[str, Any]) -> str:
    level = confidence["level"]
    return f"[{_STYLE[level]}]{level}[/] ({confidence['score']:.0%})"


def video_table(summary: dict[str, Any]) -> Table:
    """What one video's analysis says, one finding per row."""
    table = Table(title=summary["video"], show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    if "error" in summary:
        table.add_row("error", summary["error"])
    else:
        pose = summary["pose"]
        table.add_row("duration", f"{summary['duration_s']:.1f} s at {summary['fps']:g} fps")
        table.add_row(
            "pose",
            f"found in {pose['detected_share']:.0%} of frames, visibility {pose['visibility']:.0%}, "
            f"analysed {pose['analysed_share']:.0%}",
        )
        for name, value in (_gait_rows if summary["task"] == "gait" else _workout_rows)(
            summary[summary["task"]]
        ):
            table.add_row(name, value)
    confidence = summary["confidence"]
    table.add_row("confidence", confidence_text(confidence))
    if confidence["explanation"]:
        table.add_row("why", confidence["explanation"])
    return table


def _gait_rows(gait: dict[str, Any]) -> list[tuple[str, str]]:
    cadence = "—" if gait["cadence_spm"] is None else f"{gait['cadence_spm']:.0f} steps/min"
    flagged = [name for name, issue in gait["issues"].items() if issue["flagged"]]
    phases = ", ".join(f"{name} {share:.0%}" for name, share in gait["phase_share"].items())
    return [
        ("cadence", f"{cadence} ({gait['steps']} initial contacts)"),
        ("form score", "—" if gait["form_score"] is None else f"{gait['form_score']:.1f} / 10"),
        ("issues", "—" if gait["form_score"] is None else ", ".join(flagged) or "none flagged"),
        ("phases", phases or "—"),
    ]


def _workout_rows(workout: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        (f"{s['start_s']:.1f}-{s['end_s']:.1f} s", f"{s['exercise']}: {s['reps']} reps")
        for s in workout["segments"]
    ]
    return rows or [("exercise", "none found")]


def summary_table(summaries: Sequence[dict[str, Any]]) -> Table:
    """One row per video of a batch."""
    table = Table(title=f"{len(summaries)} videos")
    for column in ("video", "result", "confidence"):
        table.add_column(column)
    for summary in summaries:
        table.add_row(Path(summary["video"]).name, _headline(summary), confidence_text(summary["confidence"]))
    return table


def _headline(summary: dict[str, Any]) -> str:
    if "error" in summary:
        return "[red]not analysed[/]"
    if summary["task"] == "gait":
        gait = summary["gait"]
        cadence = "—" if gait["cadence_spm"] is None else f"{gait['cadence_spm']:.0f} spm"
        form = "—" if gait["form_score"] is None else f"{gait['form_score']:.1f}"
        flagged = [name for name, issue in gait["issues"].items() if issue["flagged"]]
        return f"cadence {cadence}, form {form}" + (f", {', '.join(flagged)}" if flagged else "")
    counts = summary["workout"]["rep_counts"]
    return ", ".join(f"{name} × {n}" for name, n in counts.items()) or "no exercise found"


def print_results(summaries: Sequence[dict[str, Any]], console: Console) -> None:
    for summary in summaries:
        console.print(video_table(summary))
    if len(summaries) > 1:
        console.print(summary_table(summaries))
