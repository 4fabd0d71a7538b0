"""The suite's result rows: one measured number each, printed as a table and saved as JSON."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch


class Row(NamedTuple):
    """One measured number: what (``name``), how much (``value``), in what (``unit``: ``x`` for a
    ratio, ``windows/s``, ``MB``, ``ms``, ...) and how it was measured (``note``)."""

    name: str
    value: float
    unit: str
    note: str = ""


def format_value(value: float) -> str:
    if value != value:  # NaN: not measured
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: Sequence[Row], title: str = "") -> str:
    """A plain-text table: one line per row, columns aligned (Markdown-compatible pipes)."""
    cells = [("benchmark", "value", "unit", "note")]
    cells += [(r.name, format_value(r.value), r.unit, r.note) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(4)]
    lines = [f"## {title}", ""] if title else []
    for index, line in enumerate(cells):
        padded = [
            text.rjust(width) if column == 1 else text.ljust(width)
            for column, (text, width) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("| " + " | ".join(padded) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), numpy {np.__version__}"
    )


def write_results(rows: Sequence[Row], path: str | Path, seconds: dict[str, float]) -> Path:
    """``{"machine", "seconds" (per benchmark module), "rows": [{name, value, unit, note}]}``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "seconds": seconds, "rows": [r._asdict() for r in rows]}
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def peak_memory_mb() -> dict[str, float]:
    """This process's peak resident memory (``VmHWM``) and current anonymous memory (``RssAnon``)
    in MB, from ``/proc/self/status`` (Linux)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "RssAnon"):
            fields[key] = int(value.split()[0]) / 1024
    return fields
