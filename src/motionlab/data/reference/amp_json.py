"""Motion clips in the AMP/AWD JSON layout (as in github.com/rimim/AWD ``awd/data/motions``).

One ``<clip>.json`` per clip::

    {"LoopMode": "Wrap", "FPS": 60, "Joints": ["left_hip_yaw", ...],
     "Frame_offset": [{"root_pos": 0, ..., "joints_pos": 7, ...}],
     "Frame_size": [{"root_pos": 3, ..., "joints_pos": 16, ...}],
     "Frames": [[...57 values...], ...], "Vel_x": 0.2, ...}

Each row of ``Frames`` concatenates the parts that ``Frame_offset``/``Frame_size`` locate; the
reader keeps the ``joints_pos`` columns (one per name in ``Joints``). ``FPS`` (or ``1 /
FrameDuration``) is the frame rate; ``LoopMode: "Wrap"`` marks a loop and ``"Clamp"`` a clip that
does not loop. Every other top-level key (``Vel_x``, ``Placo``, ...) is kept as clip metadata, so
``data.split.by`` or ``data.state.command`` may name it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from motionlab.errors import DataFormatError

#: The part of a frame that holds the joint positions.
JOINTS_PART = "joints_pos"
LOOP_MODES = {"Wrap": True, "Clamp": False}
#: Keys that make a JSON file an AMP motion clip (a sidecar never has them).
MOTION_KEYS = ("Frames",)
_LAYOUT_KEYS = ("Frames", "Frame_offset", "Frame_size", "Joints", "FPS", "FrameDuration", "LoopMode")
_FIX = "write the clip in the AMP layout (Frames, Frame_offset, Frame_size, Joints, FPS, LoopMode)"


def is_amp_motion(content: Any) -> bool:
    """True when a parsed JSON document is an AMP motion clip rather than a sidecar."""
    return isinstance(content, Mapping) and any(key in content for key in MOTION_KEYS)


def load_json(path: Path) -> Any:
    """Parse ``path``; a syntax error names the file, line and column."""
    try:
        return json.loads(path.read_text())
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, f"is not UTF-8 text ({exc})", _FIX) from exc
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, f"is not valid JSON ({exc})", "fix the syntax") from exc


def read_amp_motion(path: Path, content: Any = None) -> tuple[np.ndarray, dict[str, Any]]:
    """``([T, J] joint positions, sidecar)`` of an AMP motion file (``content``: its parsed JSON,
    when the caller already has it).

    The sidecar has the reference format's keys (``joint_names``, ``fps``, ``loop``) plus the file's
    other top-level keys as metadata; the caller validates the array and sidecar like any clip's.
    """
    content = load_json(path) if content is None else content
    if not is_amp_motion(content):
        raise DataFormatError(
            path,
            "has no 'Frames' array: it is neither an AMP motion clip nor the sidecar of a .npy clip "
            f"(no {path.stem}.npy next to it)",
            _FIX,
        )
    frames = _frames(path, content["Frames"])
    offset, size = _joint_columns(path, content, frames.shape[1])
    names = content.get("Joints")
    if not isinstance(names, list) or len(names) != size:
        got = f"{len(names)} names" if isinstance(names, list) else repr(names)
        raise DataFormatError(
            path,
            f"'Joints' must list the {size} joint names of Frame_size['{JOINTS_PART}'], got {got}",
            "list one name per joint column, in column order",
        )
    sidecar = {
        "joint_names": names,
        "fps": _fps(path, content),
        "loop": _loop(path, content.get("LoopMode", "Clamp")),
        **{key: value for key, value in content.items() if key not in _LAYOUT_KEYS},
    }
    return frames[:, offset : offset + size], sidecar


def _frames(path: Path, frames: Any) -> np.ndarray:
    if not isinstance(frames, list) or not frames or not all(isinstance(row, list) for row in frames):
        raise DataFormatError(path, "'Frames' must be a non-empty list of frames (lists of numbers)", _FIX)
    widths = {len(row) for row in frames}
    if len(widths) > 1:
        width = len(frames[0])
        row = next(i for i, r in enumerate(frames) if len(r) != width)
        raise DataFormatError(
            path,
            f"'Frames' row {row} has {len(frames[row])} values but row 0 has {width}",
            "every frame must have the same layout",
        )
    try:
        return np.asarray(frames, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(path, f"'Frames' holds a value that is not a number ({exc})", _FIX) from exc


def _part(path: Path, content: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``Frame_offset``/``Frame_size``: a mapping, or AWD's list holding one mapping."""
    value = content.get(key)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, Mapping):
        raise DataFormatError(
            path,
            f"'{key}' must map part names to columns (e.g. {{\"{JOINTS_PART}\": 7}}), got {value!r}",
            _FIX,
        )
    return value


def _joint_columns(path: Path, content: Mapping[str, Any], width: int) -> tuple[int, int]:
    offsets, sizes = _part(path, content, "Frame_offset"), _part(path, content, "Frame_size")
    for key, part in (("Frame_offset", offsets), ("Frame_size", sizes)):
        if JOINTS_PART not in part:
            raise DataFormatError(path, f"'{key}' has no '{JOINTS_PART}' entry (it has {sorted(part)})", _FIX)
    offset, size = offsets[JOINTS_PART], sizes[JOINTS_PART]
    if (
        not all(isinstance(v, int) and not isinstance(v, bool) for v in (offset, size))
        or offset < 0
        or size < 1
    ):
        raise DataFormatError(
            path,
            f"'{JOINTS_PART}' offset {offset!r} / size {size!r} must be an integer >= 0 / >= 1",
            _FIX,
        )
    if offset + size > width:
        raise DataFormatError(
            path,
            f"'{JOINTS_PART}' spans columns {offset}..{offset + size - 1} but frames have {width} values",
            "make Frame_offset/Frame_size match the frames",
        )
    return offset, size


def _fps(path: Path, content: Mapping[str, Any]) -> Any:
    """``FPS``, else ``1 / FrameDuration`` (rounded to a whole rate within 1 %: AWD writes 0.0167)."""
    if "FPS" in content:
        return content["FPS"]
    duration = content.get("FrameDuration")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration > 0:
        fps = 1.0 / duration
        return round(fps) if abs(fps - round(fps)) <= 0.01 * fps else fps
    raise DataFormatError(path, "has neither 'FPS' nor a positive 'FrameDuration'", 'add e.g. "FPS": 60')


def _loop(path: Path, mode: Any) -> bool:
    if mode not in LOOP_MODES:
        raise DataFormatError(
            path, f"'LoopMode' must be one of {sorted(LOOP_MODES)}, got {mode!r}", 'write "LoopMode": "Wrap"'
        )
    return LOOP_MODES[mode]
