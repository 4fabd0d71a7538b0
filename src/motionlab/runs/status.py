"""A run's status as its ``summary.json`` records it, corrected for a process that is gone."""

from __future__ import annotations

import os
import socket
from typing import Any

# Statuses of runs that ended before completing and can go on from their last.ckpt (`make resume`):
# "stopped" is a run recorded as running whose process is gone (killed -9, a lost machine).
RESUMABLE = ("interrupted", "failed", "stopped")


def process_alive(summary: dict[str, Any]) -> bool | None:
    """Whether the process that wrote ``summary`` still runs; ``None`` when it ran on another host."""
    if summary.get("host") != socket.gethostname() or "pid" not in summary:
        return None
    try:
        os.kill(int(summary["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def run_status(summary: dict[str, Any]) -> str:
    """The recorded status, except ``stopped`` for a ``running`` run whose process is gone."""
    status = str(summary.get("status", "unknown"))
    return "stopped" if status == "running" and process_alive(summary) is False else status
