"""`DataCollector`: seed 000's recorder, drop-in compatible, writing files the reader accepts as is.

Same constructor, methods and attributes as the seed's class (``add_frame``, ``save_sequence``,
``save_to_file``, ``sequences``, ``current_sequence``, ``output_file``) and the same file (a JSON
list of sessions, ``indent=2``). What it adds:

* ``add_frame`` checks each vector (3 finite numbers) at once, naming the frame, instead of
  writing a file that fails later;
* the file is replaced atomically (temp file + rename), so a crash never leaves it truncated;
* sessions already in ``output_file`` are kept as they are (``append=True``, after the reader's
  checks): a restarted app adds to its recordings instead of overwriting them (the seed's class
  starts from an empty list);
* ``add_frame(..., timestamp=...)`` accepts the capture time (a ``datetime`` or ISO string) for
  replaying recorded streams; by default it is ``datetime.now()``, as in the seed.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from motionlab.data.tracking.format import JOINTS, read_tracking_file, write_sessions_json

log = logging.getLogger(__name__)


class DataCollector:
    """Record tracking frames into sessions and save them as seed 000's JSON format.

    Args:
        output_file: the JSON file; rewritten (atomically) after every saved session.
        append: keep the sessions already in ``output_file`` (checked with the reader).
    """

    def __init__(self, output_file: str | Path = "training_data.json", append: bool = True) -> None:
        self.output_file = output_file
        self.current_sequence: list[dict[str, Any]] = []
        self.sequences: list[list[dict[str, Any]]] = []
        path = Path(output_file)
        if append and path.exists():
            read_tracking_file(path, fps=1.0)  # a broken file raises here, naming the session and frame
            self.sequences = json.loads(path.read_text(encoding="utf-8"))

    def add_frame(
        self,
        head_rot: Sequence[float],
        hips_rot: Sequence[float],
        left_arm: Sequence[float],
        right_arm: Sequence[float],
        timestamp: datetime | str | None = None,
    ) -> None:
        """Append one frame to the current session; raises ``ValueError`` naming a bad vector."""
        index = len(self.current_sequence)
        frame: dict[str, Any] = {
            "timestamp": _iso(timestamp if timestamp is not None else datetime.now(), index)
        }
        for joint, vector in zip(JOINTS, (head_rot, hips_rot, left_arm, right_arm), strict=True):
            frame[joint] = _vector(joint, vector, index)
        self.current_sequence.append(frame)

    def save_sequence(self) -> None:
        """Close the current session and save the file (an empty session is not saved)."""
        if len(self.current_sequence) > 0:
            self.sequences.append(self.current_sequence)
            self.current_sequence = []
            self.save_to_file()

    def save_to_file(self) -> None:
        write_sessions_json(self.output_file, self.sequences, indent=2)
        log.info("Saved %d sequences to %s", len(self.sequences), self.output_file)


def _vector(joint: str, vector: Sequence[float], frame: int) -> list[float]:
    values = list(vector)
    if len(values) != 3 or not all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in values
    ):
        raise ValueError(f"frame {frame}: '{joint}' must be 3 finite numbers, got {vector!r}")
    return [float(v) for v in values]


def _iso(timestamp: datetime | str, frame: int) -> str:
    if isinstance(timestamp, datetime):
        return timestamp.isoformat()
    try:
        datetime.fromisoformat(timestamp)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"frame {frame}: timestamp {timestamp!r} is not an ISO 8601 date-time") from exc
    return timestamp
