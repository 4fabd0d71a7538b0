"""The reference clip format: one ``.npy`` array ``[T, J]`` per clip, with an optional sidecar,
or one AMP/AWD motion ``.json`` per clip (see `motionlab.data.reference.amp_json`).

A clip ``<name>.npy`` holds ``T`` timesteps of ``J`` joint values (any real dtype, read as float32;
the built-in sample uses radians), the array seed 002 loads with ``np.load(reference_motion_path)``.
The file stem is the clip id. An optional sidecar ``<name>.json``, ``<name>.yaml`` or ``<name>.yml``
next to it describes the clip:

===============  ==============  =====================================================================
key              type            meaning
===============  ==============  =====================================================================
``joint_names``  list of str     the ``J`` column names, unique (default ``joint_0`` … ``joint_{J-1}``)
``fps``          number > 0      frames per second (default: ``data.fps``)
``loop``         bool            the clip is a loop: frame ``T-1`` is followed by frame ``0``, so the
                                 last frame must not repeat the first (default: ``data.loop``)
other keys       any             kept as clip metadata (e.g. ``gait: walk``); ``data.split.by`` may
                                 name one to keep its values together in one split
===============  ==============  =====================================================================

A ``.json`` next to a ``.npy`` of the same stem is that clip's sidecar, unless it is a motion clip
itself (it has ``Frames``): that is an error, never read as the other clip's description.
Every clip must be complete (no NaN or infinite value) and have at least `MIN_FRAMES` frames. All
clips of a dataset must have the same joints (the same names in any column order: columns are
reordered to the first clip's) and the same frame rate.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import yaml

from motionlab.data.files import check_unique_stems, data_files
from motionlab.data.reference.amp_json import is_amp_motion, load_json, read_amp_motion
from motionlab.errors import DataFormatError
from motionlab.files import atomic_output
from motionlab.numbers import check_float32_range

# A clip needs a state and the step after it.
MIN_FRAMES = 2
SIDECAR_SUFFIXES = (".json", ".yaml", ".yml")
# Metadata keys set by the reader itself; a sidecar may not define them.
RESERVED_KEYS = ("clip",)

_DOCS = "docs/formats/reference.md"
_FIX_DIR = (
    f"store one <clip id>.npy array [T, J] per clip, optionally with a .json sidecar ({_DOCS}), or one "
    "AMP motion .json per clip (docs/reference-motions.md)"
)
_RESAVE = "save the clip with np.save(path, joints.astype(np.float32)) as a [T, J] array"


@dataclass(frozen=True)
class ReferenceClip:
    """One reference motion.

    Attributes:
        name: clip id (the file stem).
        joints: ``[T, J]`` float32 joint values, complete (no NaN).
        joint_names: the ``J`` column names.
        fps: frames per second.
        loop: True when frame ``T-1`` is followed by frame ``0``.
        source: the clip's file (``.npy`` or AMP ``.json``), used in every error message.
        meta: the sidecar's other keys.
        described_by: the file that gave ``joint_names``, ``fps`` and ``loop`` (the sidecar, the
            AMP file itself), or ``None`` when the defaults applied.
        cycle: the gait cycle in frames of a clip that repeats one without looping (0: none).
    """

    name: str
    joints: np.ndarray
    joint_names: tuple[str, ...]
    fps: float
    loop: bool
    source: str
    meta: dict[str, Any] = field(default_factory=dict)
    described_by: str | None = None
    cycle: float = 0.0

    def __len__(self) -> int:
        return int(self.joints.shape[0])

    @property
    def period(self) -> float:
        """The phase clock's period in frames: the clip's length for a loop, else its ``cycle``."""
        return float(len(self)) if self.loop else self.cycle


def read_reference_clip(
    path: str | Path, default_fps: float = 30.0, default_loop: bool = False, content: Any = None
) -> ReferenceClip:
    """Read and validate one clip: a ``.npy`` and its sidecar, or an AMP motion ``.json``
    (``content``: its parsed JSON, when the caller has it; ``default_*`` apply where the file is
    silent)."""
    path = Path(path)
    if path.suffix == ".json":
        joints, sidecar = read_amp_motion(path, content)
        return _to_clip(path, joints, path, sidecar, default_fps, default_loop)
    sidecar_path, sidecar = _read_sidecar(path)
    return _to_clip(path, _load_array(path), sidecar_path, sidecar, default_fps, default_loop)


def read_reference_dir(
    path: str | Path, default_fps: float = 30.0, default_loop: bool = False
) -> list[ReferenceClip]:
    """Read every clip under a directory (recursively, sorted by path), or one file: each ``*.npy``,
    and each ``*.json`` that is an AMP motion clip (it has ``Frames``). Other ``.json`` files in a
    directory (sidecars, manifests) are not clips.

    Checks that the clips agree on their joints and frame rate, and puts every clip's columns in
    the first clip's joint order.
    """
    files = data_files(path, (".npy", ".json"), "reference clip", "reference clips", _FIX_DIR)
    contents = {file: load_json(file) for file in files if file.suffix == ".json" and len(files) > 1}
    files = [file for file in files if file not in contents or is_amp_motion(contents[file])]
    if not files:
        raise DataFormatError(
            path, "holds .json files but none is an AMP motion clip (with 'Frames')", _FIX_DIR
        )
    check_unique_stems(files, "clip")
    clips = [read_reference_clip(file, default_fps, default_loop, contents.get(file)) for file in files]
    return [clips[0], *(_matching(clip, clips[0]) for clip in clips[1:])]


def write_reference_clip(
    path: str | Path,
    joints: np.ndarray,
    joint_names: Sequence[str],
    fps: float,
    loop: bool,
    **meta: Any,
) -> Path:
    """Validate a clip like the reader does and write ``<path>`` (.npy) and its ``.json`` sidecar.

    Both files are written atomically (temporary file in the same directory, then renamed).
    """
    path = Path(path)
    if path.suffix != ".npy":
        raise ValueError(f"{path}: reference clip files must end in .npy")
    sidecar = {"joint_names": list(joint_names), "fps": float(fps), "loop": bool(loop), **meta}
    sidecar_path = path.with_suffix(".json")
    clip = _to_clip(path, np.asarray(joints), sidecar_path, sidecar, fps, loop)
    _write_atomic(path, lambda handle: np.save(handle, clip.joints), binary=True)
    _write_atomic(sidecar_path, lambda handle: json.dump(sidecar, handle, indent=2), binary=False)
    return path


def _load_array(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except ValueError as exc:
        if "allow_pickle" not in str(exc):
            raise DataFormatError(path, f"cannot be read as a .npy array ({exc})", _RESAVE) from exc
        raise DataFormatError(
            path, "is not a plain .npy array (it holds pickled objects or is not in .npy format)", _RESAVE
        ) from exc
    except (OSError, EOFError) as exc:
        raise DataFormatError(
            path, f"cannot be read as a .npy array ({type(exc).__name__}: {exc})", _RESAVE
        ) from exc
    if isinstance(array, np.lib.npyio.NpzFile):
        array.close()
        raise DataFormatError(path, "is an .npz archive, not a single .npy array", _RESAVE)
    return array


def _read_sidecar(path: Path) -> tuple[Path | None, dict[str, Any]]:
    found = [path.with_suffix(suffix) for suffix in SIDECAR_SUFFIXES if path.with_suffix(suffix).is_file()]
    if not found:
        return None, {}
    if len(found) > 1:
        raise DataFormatError(
            found[0],
            f"{len(found)} sidecars describe clip '{path.stem}': {[p.name for p in found]}",
            "keep one sidecar per clip",
        )
    sidecar_path = found[0]
    if sidecar_path.suffix == ".json":
        content = load_json(sidecar_path)
    else:
        try:
            content = yaml.safe_load(sidecar_path.read_text())
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise DataFormatError(
                sidecar_path, f"is not valid YAML ({exc})", f"fix the syntax ({_DOCS})"
            ) from exc
    if is_amp_motion(content):
        raise DataFormatError(
            sidecar_path,
            f"is a motion clip (it has 'Frames'), not the sidecar of {path.name}, but it has the same "
            "stem, so it would be read as that clip's description",
            f"rename {path.name} or move it to its own folder: the file stem is the clip id",
        )
    if content is None:
        return sidecar_path, {}
    if not isinstance(content, dict):
        raise DataFormatError(
            sidecar_path,
            f"holds a {type(content).__name__}, not a mapping of keys",
            'write e.g. {"joint_names": [...], "fps": 50, "loop": true}',
        )
    return sidecar_path, content


def _to_clip(
    path: Path,
    array: np.ndarray,
    sidecar_path: Path | None,
    sidecar: Mapping[str, Any],
    default_fps: float,
    default_loop: bool,
) -> ReferenceClip:
    """Check every invariant of the format and build the clip (shared by reader and writer)."""
    described = sidecar_path or path
    reserved = [key for key in RESERVED_KEYS if key in sidecar]
    if reserved:
        raise DataFormatError(
            described,
            f"key(s) {reserved} are set by the reader",
            "remove them (the clip id is the file stem)",
        )
    joints = _check_array(path, array)
    names = _joint_names(described, sidecar.get("joint_names"), joints.shape[1])
    _check_finite(path, joints, names)
    fps = _check_fps(described, sidecar.get("fps", default_fps))
    loop = sidecar.get("loop", default_loop)
    if not isinstance(loop, bool | np.bool_):
        raise DataFormatError(described, f"'loop' must be true or false, got {loop!r}", "write loop: true")
    meta = {key: value for key, value in sidecar.items() if key not in ("joint_names", "fps", "loop")}
    described_by = str(sidecar_path) if sidecar_path is not None else None
    return ReferenceClip(path.stem, joints, names, fps, bool(loop), str(path), meta, described_by)


def _check_array(path: Path, array: np.ndarray) -> np.ndarray:
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise DataFormatError(
            path,
            f"dtype {array.dtype} is not a real number type; joint values must be float (e.g. radians)",
            _RESAVE,
        )
    if array.ndim != 2:
        hint = " (one joint? reshape it to [T, 1])" if array.ndim == 1 else ""
        raise DataFormatError(
            path, f"has shape {array.shape}; a clip is a 2-D array [T timesteps, J joints]{hint}", _RESAVE
        )
    frames, joints = array.shape
    if joints == 0:
        raise DataFormatError(path, f"has shape {array.shape}: no joint columns", _RESAVE)
    if frames < MIN_FRAMES:
        raise DataFormatError(
            path,
            f"has {frames} frame(s); a clip needs at least {MIN_FRAMES} (a state and the step after it)",
            "export the whole motion, not a single pose",
        )
    check_float32_range(path, array, lambda index: f"frame {index[0]}, column {index[1]}")
    return np.ascontiguousarray(array, dtype=np.float32)


def _joint_names(described: Path, names: Any, count: int) -> tuple[str, ...]:
    if names is None:
        return tuple(f"joint_{j}" for j in range(count))
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) and n for n in names):
        raise DataFormatError(
            described, f"'joint_names' must be a list of non-empty strings, got {names!r}", _DOCS
        )
    if len(names) != count:
        raise DataFormatError(
            described,
            f"'joint_names' lists {len(names)} names but the clip has {count} joint columns",
            "name every column of the [T, J] array, in column order",
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataFormatError(
            described, f"'joint_names' repeats {duplicates}", "give every joint a unique name"
        )
    return tuple(names)


def _check_finite(path: Path, joints: np.ndarray, names: Sequence[str]) -> None:
    bad = ~np.isfinite(joints)
    if not bad.any():
        return
    frame, column = np.argwhere(bad)[0]
    kind = "NaN" if np.isnan(joints[frame, column]) else "an infinite value"
    raise DataFormatError(
        path,
        f"{kind} at frame {frame}, joint '{names[column]}' ({int(bad.any(axis=1).sum())} frame(s) affected)",
        "reference clips must be complete: interpolate or cut out the gap before training",
    )


def _check_fps(described: Path, fps: Any) -> float:
    if isinstance(fps, bool) or not isinstance(fps, int | float) or not math.isfinite(fps) or fps <= 0:
        raise DataFormatError(
            described, f"'fps' must be a positive number, got {fps!r}", "write e.g. fps: 50"
        )
    return float(fps)


def _matching(clip: ReferenceClip, first: ReferenceClip) -> ReferenceClip:
    """``clip`` with its columns in ``first``'s joint order; an error if the joints or fps differ."""
    if len(clip.joint_names) != len(first.joint_names):
        raise DataFormatError(
            clip.source,
            f"has {len(clip.joint_names)} joints but {first.source} has {len(first.joint_names)}",
            "every clip of a dataset must have the same joints",
        )
    if set(clip.joint_names) != set(first.joint_names):
        missing = sorted(set(first.joint_names) - set(clip.joint_names))
        extra = sorted(set(clip.joint_names) - set(first.joint_names))
        raise DataFormatError(
            clip.source,
            f"joint names differ from {first.source}: missing {missing}, unexpected {extra}",
            "name the joints the same way in every clip's sidecar",
        )
    if not math.isclose(clip.fps, first.fps):
        raise DataFormatError(
            clip.source,
            f"frame rate {clip.fps} differs from {first.fps} in {first.source}",
            "resample the clips to one frame rate",
        )
    order = [clip.joint_names.index(name) for name in first.joint_names]
    joints = np.ascontiguousarray(clip.joints[:, order])
    return dataclasses.replace(clip, joints=joints, joint_names=first.joint_names)


def _write_atomic(path: Path, write: Callable[[IO], Any], binary: bool) -> None:
    with atomic_output(path) as temporary, open(temporary, "wb" if binary else "w") as handle:
        write(handle)
