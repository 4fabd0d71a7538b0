"""The tracking JSON format of seed 000, read into one `Recording` per session.

A file holds a JSON list of sessions; a session is a list of frames; a frame is an object with four
3-vectors and an optional ISO 8601 timestamp — exactly what seed 000's ``DataCollector`` writes
(and `motionlab.data.tracking.collector.DataCollector` too)::

    [
      [
        {"timestamp": "2025-03-01T10:00:00.000000",
         "head": [2.1, -14.0, 0.5], "hips": [0.0, 3.2, -1.1],
         "left_arm": [-0.31, 1.02, 0.12], "right_arm": [0.29, 1.05, 0.10]},
        ...
      ],
      ...
    ]

============  ===========================  ====================================================
key           value                        meaning
============  ===========================  ====================================================
``head``      3 numbers                    head rotation x, y, z in degrees
``hips``      3 numbers                    hips rotation x, y, z in degrees
``left_arm``  3 numbers                    left arm position x, y, z (the tracker's units)
``right_arm`` 3 numbers                    right arm position x, y, z
``timestamp`` ISO 8601 string (optional)   capture time; in a session every frame has one or
                                           none does, and they strictly increase
============  ===========================  ====================================================

The 12 features are named ``head_x, head_y, head_z, hips_x, ..., right_arm_z`` (`FEATURE_NAMES`).
Other keys in a frame are ignored. Values must be finite JSON numbers: ``NaN``/``Infinity`` (which
Python's ``json`` writes for non-finite floats) are an error naming the frame — a frame the tracker
lost should be left out; its timestamp gap is then detected and reported (see
`motionlab.data.tracking.timing`).

A directory is read recursively (``*.json`` in sorted path order). Session ``k`` of file
``<dir>/user1/day1.json`` is the recording ``user1/day1#k``; it is its own split group (splits are by
session), and ``meta["file"]`` (``user1/day1``) allows ``data.split.by=file``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.data.files import data_files
from motionlab.data.recording import Recording
from motionlab.errors import DataFormatError
from motionlab.files import write_text_atomic
from motionlab.numbers import check_float32_range

JOINTS: tuple[str, ...] = ("head", "hips", "left_arm", "right_arm")
AXES: tuple[str, ...] = ("x", "y", "z")
FEATURE_NAMES: tuple[str, ...] = tuple(f"{joint}_{axis}" for joint in JOINTS for axis in AXES)
UNITS: dict[str, str] = {
    "head": "degrees",
    "hips": "degrees",
    "left_arm": "position units",
    "right_arm": "position units",
}

_DOCS = "'Tracking sessions' format page (docs/formats/tracking.md)"
_NUMBER = (int, float)


def joint_groups(feature_names: Sequence[str] = FEATURE_NAMES) -> dict[str, list[int]]:
    """Column indices of each joint in ``feature_names`` (``head_x`` belongs to ``head``)."""
    groups: dict[str, list[int]] = {}
    for index, name in enumerate(feature_names):
        groups.setdefault(name.rsplit("_", 1)[0], []).append(index)
    return groups


def read_tracking_file(path: str | Path, fps: float, name_prefix: str | None = None) -> list[Recording]:
    """Every session of one JSON file, in file order, as `Recording`s at the nominal rate ``fps``.

    ``name_prefix`` names the sessions ``<prefix>#<k>`` (default: the file stem). Timestamps, when
    present, are kept as seconds since the session's first frame in ``meta["time"]`` (else ``None``).
    """
    path = Path(path)
    prefix = path.stem if name_prefix is None else name_prefix
    sessions, has_booleans = _load_json(path)
    return [
        _to_recording(path, index, session, f"{prefix}#{index}", prefix, fps, fast=not has_booleans)
        for index, session in enumerate(sessions)
    ]


def read_tracking_path(path: str | Path, fps: float) -> list[Recording]:
    """Read one file, or every ``*.json`` under a directory (recursively, sorted by path)."""
    path = Path(path)
    files = data_files(
        path,
        ".json",
        "tracking JSON",
        "tracking files",
        f"store sessions as JSON lists of frames; see the {_DOCS}",
    )
    if path.is_file():
        return read_tracking_file(path, fps)
    recordings = []
    for file in files:
        recordings += read_tracking_file(file, fps, file.relative_to(path).with_suffix("").as_posix())
    return recordings


def write_tracking_file(
    path: str | Path,
    sessions: Sequence[np.ndarray],
    timestamps: Sequence[Sequence[str] | None] | None = None,
    decimals: int | None = None,
    indent: int | None = None,
) -> Path:
    """Write ``sessions`` (each ``[T, 12]`` in `FEATURE_NAMES` order) atomically in the format above.

    ``timestamps`` gives each session's ISO strings (or ``None`` for a session without). ``decimals``
    rounds the values (smaller files); ``indent`` pretty-prints like seed 000's collector (``2``).
    The file is read back through the reader's checks before it replaces ``path``, so a file this
    function writes is always readable.
    """
    timestamps = list(timestamps) if timestamps is not None else [None] * len(sessions)
    if len(timestamps) != len(sessions):
        raise ValueError(f"{len(timestamps)} timestamp lists for {len(sessions)} sessions")
    document = [
        session_to_json(frames, stamps, decimals) for frames, stamps in zip(sessions, timestamps, strict=True)
    ]
    return write_sessions_json(path, document, indent)


def session_to_json(
    frames: np.ndarray, timestamps: Sequence[str] | None = None, decimals: int | None = None
) -> list[dict[str, Any]]:
    """One session ``[T, 12]`` as the list of frame objects the format stores."""
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 2 or frames.shape[1] != len(FEATURE_NAMES):
        raise ValueError(f"a session must be [T, {len(FEATURE_NAMES)}], got shape {frames.shape}")
    if timestamps is not None and len(timestamps) != len(frames):
        raise ValueError(f"{len(timestamps)} timestamps for {len(frames)} frames")
    values = (np.round(frames, decimals) if decimals is not None else frames).tolist()
    out = []
    for index, row in enumerate(values):
        frame: dict[str, Any] = {} if timestamps is None else {"timestamp": timestamps[index]}
        frame.update({joint: row[3 * j : 3 * j + 3] for j, joint in enumerate(JOINTS)})
        out.append(frame)
    return out


def write_sessions_json(
    path: str | Path, sessions: list[list[dict[str, Any]]], indent: int | None = None
) -> Path:
    """Validate ``sessions`` (JSON-ready frame objects) like the reader does and write them atomically
    (temp file in the same directory, then rename): a crash never leaves a truncated file."""
    path = Path(path)
    for index, session in enumerate(sessions):
        _to_recording(path, index, session, f"{path.stem}#{index}", path.stem, 1.0)
    write_text_atomic(path, json.dumps(sessions, indent=indent, allow_nan=False))
    return path


def _load_json(path: Path) -> tuple[list[Any], bool]:
    """The top-level list of sessions, and whether the text contains a JSON boolean anywhere."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is skipped
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            path, f"is not UTF-8 text (byte {exc.start})", "save the file as UTF-8 JSON"
        ) from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        end = text.rstrip()
        truncated = exc.pos >= len(end) or not end.endswith("]")  # a whole document ends its list
        raise DataFormatError(
            path,
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            "the file ends early: a collector that crashed mid-write leaves it truncated"
            if truncated
            else "fix the file there",
        ) from exc
    if not isinstance(document, list):
        raise DataFormatError(
            path,
            f"the top level is a JSON {_json_type(document)}, not a list of sessions",
            f"store [[frame, frame, ...], [frame, ...]] — one list of frames per session ({_DOCS})",
        )
    if document and all(isinstance(item, dict) for item in document):
        raise DataFormatError(
            path,
            "the top level is a list of frames, not a list of sessions",
            "wrap it in another list: [[frame, frame, ...]] is one session",
        )
    return document, "true" in text or "false" in text


def _to_recording(
    path: Path, index: int, session: Any, name: str, file: str, fps: float, fast: bool = False
) -> Recording:
    """Check every invariant of one session and build its `Recording` (shared by reader and writer).

    ``fast`` tries one NumPy conversion of the whole session first and checks its dtype and shape;
    it may only be used when the document holds no JSON boolean, which NumPy would turn into 0/1.
    Anything else that is not a number (strings, null, nested lists, wrong lengths) makes NumPy
    return another dtype or shape, or raise; then the frames are checked one by one for the error.
    """
    if not isinstance(session, list):
        raise DataFormatError(
            path,
            f"session {index} is a JSON {_json_type(session)}, not a list of frames",
            f"every item of the top-level list is a session: a list of frame objects ({_DOCS})",
        )
    frames = _session_values(session) if fast else None
    if frames is None:
        frames = np.array([_frame_values(path, index, f, frame) for f, frame in enumerate(session)])
    frames = frames.astype(np.float64).reshape(len(session), len(FEATURE_NAMES))
    bad = np.argwhere(~np.isfinite(frames))
    if len(bad):
        f, column = (int(v) for v in bad[0])
        raise DataFormatError(
            path,
            f"session {index}, frame {f}: '{FEATURE_NAMES[column]}' is {frames[f, column]} "
            f"({len(bad)} non-finite value(s) in this session)",
            "leave frames the tracker lost out of the session (timestamps reveal the gap) or fix the export",
        )
    check_float32_range(path, frames, lambda i: f"session {index}, frame {i[0]}: '{FEATURE_NAMES[i[1]]}'")
    return Recording(
        name=name,
        frames=frames.astype(np.float32),
        feature_names=list(FEATURE_NAMES),
        fps=fps,
        group=name,
        source=f"{path} (session {index})",
        meta={"file": file, "session": index, "time": _session_times(path, index, session)},
    )


def _session_values(session: list[Any]) -> np.ndarray | None:
    """All values ``[T, 4, 3]`` in one conversion, or ``None`` when the session needs checking frame
    by frame."""
    try:
        values = np.array([[frame[joint] for joint in JOINTS] for frame in session])
    except (KeyError, TypeError, ValueError):
        return None
    if values.dtype.kind not in "iuf" or values.shape != (len(session), len(JOINTS), len(AXES)):
        return None
    return values


def _frame_values(path: Path, session: int, index: int, frame: Any) -> list[float]:
    """The 12 values of one frame, or a `DataFormatError` naming the session, frame and key."""
    where = f"session {session}, frame {index}"
    if not isinstance(frame, dict):
        raise DataFormatError(
            path,
            f"{where} is a JSON {_json_type(frame)}, not an object",
            f"a frame is an object with keys {list(JOINTS)} ({_DOCS})",
        )
    values: list[float] = []
    for joint in JOINTS:
        if joint not in frame:
            raise DataFormatError(
                path,
                f"{where}: missing key '{joint}' (the frame has keys {sorted(frame)})",
                f"every frame needs {list(JOINTS)}, each a list of 3 numbers",
            )
        vector = frame[joint]
        if not (
            isinstance(vector, list)
            and len(vector) == len(AXES)
            and all(isinstance(v, _NUMBER) and not isinstance(v, bool) for v in vector)
        ):
            raise DataFormatError(
                path,
                f"{where}: '{joint}' must be a list of 3 numbers, got {_describe(vector)}",
                "write [x, y, z] for every joint",
            )
        values += vector
    return values


def _session_times(path: Path, session: int, frames: list[dict[str, Any]]) -> np.ndarray | None:
    """Seconds since the first frame, from the frames' timestamps; ``None`` when none has one."""
    present = ["timestamp" in frame for frame in frames]
    if not any(present):
        return None
    if not all(present):
        odd = present.index(not present[0])
        raise DataFormatError(
            path,
            f"session {session}, frame {odd} {'has a' if present[odd] else 'has no'} 'timestamp' "
            f"but frame 0 {'does' if present[0] else 'does not'}",
            "give every frame of a session a timestamp, or none",
        )
    stamps = [_parse_time(path, session, f, frame["timestamp"]) for f, frame in enumerate(frames)]
    try:
        seconds = np.array([(stamp - stamps[0]).total_seconds() for stamp in stamps])
    except TypeError as exc:  # naive and timezone-aware timestamps cannot be compared
        raise DataFormatError(
            path,
            f"session {session} mixes timestamps with and without a timezone",
            "write every timestamp the same way (e.g. all with +00:00, or all without)",
        ) from exc
    backwards = np.flatnonzero(np.diff(seconds) <= 0)
    if len(backwards):
        f = int(backwards[0]) + 1
        raise DataFormatError(
            path,
            f"session {session}, frame {f}: timestamp {frames[f]['timestamp']} is not after the previous "
            f"frame's ({frames[f - 1]['timestamp']})",
            "timestamps must strictly increase within a session: sort the frames or fix the clock",
        )
    return seconds


def _parse_time(path: Path, session: int, frame: int, value: Any) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(
            path,
            f"session {session}, frame {frame}: timestamp {value!r} is not an ISO 8601 date-time",
            "write it like datetime.now().isoformat(), e.g. '2025-03-01T10:00:00.033000'",
        ) from exc


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _describe(value: Any) -> str:
    text = json.dumps(value)
    return f"{_json_type(value)} {text if len(text) <= 60 else text[:57] + '...'}"
