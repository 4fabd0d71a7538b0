"""``summary.json``: the run's status and results, rewritten atomically as training progresses.

It is what seed 002's TrainingSession table held (status, epoch, loss history, error, model path),
as a file a monitor can poll, and what `make export` and sweeps read to find the best checkpoint.
Only global rank zero writes it.
"""

from __future__ import annotations

import json
import math
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lightning.pytorch.utilities.rank_zero import rank_zero_only

from motionlab.files import write_json_atomic


def finite(value: float) -> float | None:
    """``value``, or ``None`` (JSON null) for NaN and infinities."""
    return value if math.isfinite(value) else None


class StatusFile:
    """A run's status mirrored to ``path`` on every update (only global rank zero writes): status,
    start and finish times, accumulated duration, error, pid and host.

    With ``resumed_from`` set and a file already at ``path`` (a run continued in place), its contents
    and accumulated duration are kept and the resume is logged under ``resumes``.
    """

    def __init__(self, path: Path, resumed_from: str | None = None, **fields: Any) -> None:
        self.path = path
        self._started = time.monotonic()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.data: dict[str, Any] = {
            "status": "running",
            "started_at": now,
            "finished_at": None,
            "duration_s": 0.0,
            **self.initial_fields(),
            "error": None,
            "resumes": [],
        }
        if resumed_from is not None and path.is_file():
            self.data.update(json.loads(path.read_text()))
            self.data["resumes"] = [*self.data.get("resumes", []), {"at": now, "from": resumed_from}]
        self._previous_duration = float(self.data.get("duration_s") or 0.0)
        self.data.update(status="running", finished_at=None, error=None, **fields)
        self.data.update(pid=os.getpid(), host=socket.gethostname())

    def initial_fields(self) -> dict[str, Any]:
        """Fields a fresh file starts with (a resumed one keeps its own)."""
        return {}

    @rank_zero_only
    def update(self, **fields: Any) -> None:
        self.data.update(fields)
        self.data["duration_s"] = round(self._previous_duration + time.monotonic() - self._started, 2)
        write_json_atomic(self.path, self.data)

    def finish(self, status: str, error: BaseException | None = None, **fields: Any) -> None:
        message = None if error is None else ": ".join(filter(None, (type(error).__name__, str(error))))
        self.update(
            status=status,
            error=message,
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
            **fields,
        )


class RunSummary(StatusFile):
    """``summary.json`` of one training run: the status fields plus the per-epoch metric history."""

    def initial_fields(self) -> dict[str, Any]:
        return {"current_epoch": 0, "history": []}

    @rank_zero_only
    def add_epoch(self, epoch: int, metrics: dict[str, float], **fields: Any) -> None:
        """The epoch's row of ``metrics`` (replacing a row of the same epoch), and other ``fields``,
        in one write."""
        row = {"epoch": epoch, **{name: finite(value) for name, value in sorted(metrics.items())}}
        history = [entry for entry in self.data["history"] if entry["epoch"] != epoch]
        self.update(current_epoch=epoch + 1, history=[*history, row], **fields)
