"""The workout session format: one ``.npz`` per session, read into a `Recording`.

A session file is named ``<session id>.npz`` and holds plain arrays only (it must load with
``np.load(path, allow_pickle=False)``):

==============  ======================  ========================================================
field           dtype / shape           meaning
==============  ======================  ========================================================
``angles``      float ``[T, 25]``       joint angles in degrees; a row of NaN is a dropped frame
                                        (kept as NaN here; `fill_gaps` interpolates short gaps)
``angle_names`` str ``[25]``            the column names, in any order (reordered on read)
``labels``      str ``[T]``             the exercise performed at each frame
``rep_starts``  int ``[K]``             frames where repetitions start: sorted, unique, in
                                        ``[0, T)``, possibly empty
``subject``     str scalar (0-d)        the person; train/val/test splits keep it together
``fps``         float scalar            frames per second (> 0)
==============  ======================  ========================================================

Other fields are ignored. Labels are the names in `WORKOUT_CLASSES` unless the reader is given
other class names. A rep start may fall on a ``no_exercise`` frame: human labels are imprecise by a
few frames at set boundaries, so rejecting such files would reject real data for no gain.

The 25 joint angles (`JOINT_ANGLES`, in degrees; "interior" is the angle at the middle joint, 180
when the limb is straight):

=============================  ==================================================  =============
angle                          meaning                                             typical range
=============================  ==================================================  =============
left/right_elbow               interior shoulder-elbow-wrist angle                 40 .. 180
left/right_shoulder_flexion    upper arm vs trunk, sagittal plane: 0 arm hanging,  -60 .. 180
                               90 forward, 180 overhead, < 0 behind the trunk
left/right_shoulder_abduction  upper arm vs trunk, frontal plane: 0 at the side,   0 .. 120
                               90 sideways horizontal
left/right_wrist               wrist extension: 0 neutral, > 0 back of the hand    -40 .. 90
                               towards the forearm (push-up ~80)
left/right_hip_flexion         interior shoulder-hip-knee angle: 180 standing,     40 .. 180
                               ~90 sitting
left/right_hip_abduction       thigh vs body midline, frontal plane, > 0 outwards  -10 .. 45
left/right_knee                interior hip-knee-ankle angle                       40 .. 180
left/right_ankle               shank vs foot: 90 standing, < 90 dorsiflexion       60 .. 130
trunk_inclination              hip-to-shoulder line vs vertical: 0 upright,        0 .. 100
                               ~90 horizontal (push-up plank)
trunk_lateral_tilt             sideways lean of the trunk, signed (> 0 right)      -20 .. 20
trunk_rotation                 shoulder line vs hip line about the trunk axis      -30 .. 30
neck_flexion                   head vs trunk, sagittal: 0 neutral, > 0 chin down   -30 .. 60
neck_lateral_tilt              head vs trunk, frontal plane, signed                -20 .. 20
shoulder_line_tilt             left-right shoulder line vs horizontal, signed      -15 .. 15
hip_line_tilt                  left-right hip line vs horizontal, signed           -15 .. 15
left/right_body_line           interior shoulder-hip-ankle angle: 180 straight     60 .. 180
                               body (standing, plank), ~115 squat bottom
=============================  ==================================================  =============
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from motionlab.data.files import check_unique_stems, data_files
from motionlab.data.recording import Recording
from motionlab.errors import DataFormatError
from motionlab.files import atomic_output
from motionlab.numbers import check_float32_range

WORKOUT_CLASSES: tuple[str, ...] = ("push_up", "squat", "pull_up", "dip", "no_exercise")

JOINT_ANGLES: tuple[str, ...] = (
    "left_elbow",
    "right_elbow",
    "left_shoulder_flexion",
    "right_shoulder_flexion",
    "left_shoulder_abduction",
    "right_shoulder_abduction",
    "left_wrist",
    "right_wrist",
    "left_hip_flexion",
    "right_hip_flexion",
    "left_hip_abduction",
    "right_hip_abduction",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "trunk_inclination",
    "trunk_lateral_tilt",
    "trunk_rotation",
    "neck_flexion",
    "neck_lateral_tilt",
    "shoulder_line_tilt",
    "hip_line_tilt",
    "left_body_line",
    "right_body_line",
)

FIELDS: tuple[str, ...] = ("angles", "angle_names", "labels", "rep_starts", "subject", "fps")

_DOCS = "'Workout sessions' format page (docs/formats/workout.md)"
_REEXPORT = "re-export the session, e.g. with motionlab.data.workout.format.write_workout_session"
# What np.load / NpzFile raise on a file that is not a well-formed npz archive.
_UNREADABLE = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def read_workout_session(
    path: str | Path,
    class_names: Sequence[str] = WORKOUT_CLASSES,
    angle_names: Sequence[str] = JOINT_ANGLES,
) -> Recording:
    """Read one session file, with its columns in ``angle_names`` order and labels as class indices."""
    path = Path(path)
    return _to_recording(path, _load_fields(path), class_names, angle_names)


def read_workout_dir(
    path: str | Path,
    class_names: Sequence[str] = WORKOUT_CLASSES,
    angle_names: Sequence[str] = JOINT_ANGLES,
) -> list[Recording]:
    """Read every ``*.npz`` under a directory (recursively, in sorted path order), or one file."""
    return list(iter_workout_dir(path, class_names, angle_names))


def iter_workout_dir(
    path: str | Path,
    class_names: Sequence[str] = WORKOUT_CLASSES,
    angle_names: Sequence[str] = JOINT_ANGLES,
) -> Iterator[Recording]:
    """`read_workout_dir` one session at a time (the files are found and checked up front), so that
    a dataset larger than memory can be streamed."""
    files = data_files(
        path,
        ".npz",
        "workout session",
        "workout sessions",
        "store one <session id>.npz per session with fields " + ", ".join(FIELDS) + f"; see the {_DOCS}",
    )
    check_unique_stems(files, "session")
    return (read_workout_session(file, class_names, angle_names) for file in files)


def write_workout_session(
    path: str | Path,
    angles: np.ndarray,
    labels: Sequence[str] | np.ndarray,
    rep_starts: Sequence[int] | np.ndarray,
    subject: str,
    fps: float,
    angle_names: Sequence[str] = JOINT_ANGLES,
    class_names: Sequence[str] = WORKOUT_CLASSES,
    compress: bool = True,
) -> Path:
    """Validate a session and write it atomically (temp file in the same directory + rename).

    ``angle_names`` names the columns of ``angles`` as given; they are stored in that order. The
    checks are the reader's, so a file this function writes is always readable. ``compress=False``
    stores the arrays uncompressed (larger files, written and read faster).
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"{path}: workout session files must end in .npz")
    rep_starts = np.asarray(rep_starts)
    fields = {
        "angles": np.asarray(angles),
        "angle_names": np.asarray(list(angle_names), dtype=str),
        "labels": np.asarray(labels),
        # An empty list becomes a float array; an empty rep list is valid, so store it as int.
        "rep_starts": rep_starts.astype(np.int64) if rep_starts.size == 0 else rep_starts,
        "subject": np.asarray(subject),
        "fps": np.asarray(fps),
    }
    _to_recording(path, fields, class_names, angle_names)
    fields["angles"] = fields["angles"].astype(np.float32)
    fields["rep_starts"] = fields["rep_starts"].astype(np.int64)
    fields["fps"] = fields["fps"].astype(np.float64)
    with atomic_output(path) as temporary, open(temporary, "wb") as f:
        (np.savez_compressed if compress else np.savez)(f, **fields)
    return path


def _load_fields(path: Path) -> dict[str, np.ndarray]:
    """The required fields of an npz file, loaded eagerly so that every read error surfaces here."""
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except _UNREADABLE as exc:
        raise DataFormatError(
            path, f"not a readable .npz archive ({type(exc).__name__}: {exc})", _REEXPORT
        ) from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataFormatError(path, "is a single .npy array, not an .npz archive of named fields", _REEXPORT)
    with archive:
        missing = [key for key in FIELDS if key not in archive.files]
        if missing:
            raise DataFormatError(
                path,
                f"missing field(s) {missing}; the file has {sorted(archive.files)}",
                f"a workout session needs the fields {list(FIELDS)} ({_DOCS})",
            )
        fields = {}
        for key in FIELDS:
            try:
                fields[key] = archive[key]
            except ValueError as exc:
                if "allow_pickle" not in str(exc):
                    raise DataFormatError(path, f"field '{key}' cannot be read ({exc})", _REEXPORT) from exc
                raise DataFormatError(
                    path,
                    f"field '{key}' is a pickled object array, which is never loaded (unsafe)",
                    "store strings as a fixed-width str array, e.g. np.asarray(values, dtype=str)",
                ) from exc
            except _UNREADABLE as exc:
                raise DataFormatError(
                    path, f"field '{key}' cannot be read ({type(exc).__name__}: {exc})", _REEXPORT
                ) from exc
    return fields


def _to_recording(
    path: Path,
    fields: Mapping[str, np.ndarray],
    class_names: Sequence[str],
    angle_names: Sequence[str],
) -> Recording:
    """Check every invariant of the format and build the `Recording` (shared by reader and writer)."""
    angles = _check_angles(path, fields["angles"])
    check_float32_range(path, angles, lambda index: f"field 'angles', frame {index[0]}, column {index[1]}")
    order = _column_order(path, fields["angle_names"], angles.shape[1], angle_names)
    labels = _label_indices(path, fields["labels"], len(angles), class_names)
    rep_starts = _check_rep_starts(path, fields["rep_starts"], len(angles))
    subject = _text_scalar(path, "subject", fields["subject"])
    fps = _check_fps(path, fields["fps"])
    return Recording(
        name=path.stem,
        frames=np.ascontiguousarray(angles[:, order], dtype=np.float32),
        feature_names=list(angle_names),
        fps=fps,
        group=subject,
        source=str(path),
        targets={"label": labels},
        events={"rep_starts": rep_starts},
        meta={"subject": subject},
    )


def _check_angles(path: Path, angles: np.ndarray) -> np.ndarray:
    # Integers are accepted (cast to float32); bool, complex, str and object are not angles.
    if angles.dtype.kind not in "iuf":
        raise DataFormatError(
            path,
            f"field 'angles' has dtype {angles.dtype}, which is not a real number type",
            "store joint angles in degrees as float32 (NaN rows for dropped frames)",
        )
    if angles.ndim != 2:
        raise DataFormatError(
            path, f"field 'angles' must be 2-D [frames, angles], got shape {angles.shape}", _REEXPORT
        )
    if angles.shape[0] == 0:
        raise DataFormatError(
            path, "field 'angles' has 0 frames (empty recording)", "delete the file or re-export the session"
        )
    return angles


def _text_array(path: Path, key: str, values: np.ndarray) -> np.ndarray:
    """A 1-D str array (bytes are decoded as UTF-8)."""
    if values.ndim != 1 or values.dtype.kind not in "US":
        raise DataFormatError(
            path,
            f"field '{key}' must be a 1-D str array, got dtype {values.dtype} and shape {values.shape}",
            "store it as np.asarray(values, dtype=str)",
        )
    return np.char.decode(values, "utf-8") if values.dtype.kind == "S" else values


def _text_scalar(path: Path, key: str, value: np.ndarray) -> str:
    if value.ndim != 0 or value.dtype.kind not in "US" or not str(value.item()).strip():
        raise DataFormatError(
            path,
            f"field '{key}' must be a non-empty str scalar (0-d array), got {value.dtype} {value.shape}",
            f"store it as np.asarray('name') (the {key} id)",
        )
    item = value.item()
    return item.decode("utf-8") if isinstance(item, bytes) else str(item)


def _column_order(path: Path, names: np.ndarray, columns: int, expected: Sequence[str]) -> np.ndarray:
    """Indices that take the file's columns to the ``expected`` order."""
    names = _text_array(path, "angle_names", names)
    if len(names) != columns:
        raise DataFormatError(
            path,
            f"field 'angles' has {columns} columns but field 'angle_names' has {len(names)} names",
            "write exactly one name per angle column",
        )
    unique, counts = np.unique(names, return_counts=True)
    if (counts > 1).any():
        raise DataFormatError(
            path, f"field 'angle_names' repeats {unique[counts > 1].tolist()}", "give each column one name"
        )
    position = {name: i for i, name in enumerate(names.tolist())}
    known = set(expected)
    missing = [name for name in expected if name not in position]
    extra = [name for name in position if name not in known]
    if missing:
        instead = f"; unknown column(s) {extra} in their place (renamed?)" if extra else ""
        raise DataFormatError(
            path,
            f"field 'angle_names' lacks {len(missing)} expected angle(s): {missing}{instead}",
            "export every expected joint angle under its documented name, or configure the reader's "
            "angle_names to the columns this dataset has",
        )
    if extra:
        raise DataFormatError(
            path,
            f"field 'angle_names' has unknown column(s) {extra}",
            "drop those columns from the file, or add them to the reader's angle_names",
        )
    return np.array([position[name] for name in expected], dtype=np.intp)


def _label_indices(path: Path, labels: np.ndarray, frames: int, class_names: Sequence[str]) -> np.ndarray:
    """Per-frame class indices, mapped through the distinct labels (no per-frame Python work)."""
    labels = _text_array(path, "labels", labels)
    if len(labels) != frames:
        raise DataFormatError(
            path,
            f"field 'labels' has {len(labels)} entries but field 'angles' has {frames} frames",
            "write exactly one label per frame",
        )
    distinct, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    lookup = {name: i for i, name in enumerate(class_names)}
    codes = np.array([lookup.get(name, -1) for name in distinct.tolist()], dtype=np.int64)
    unknown = np.flatnonzero(codes < 0)
    if unknown.size:
        worst = unknown[np.argmin(first[unknown])]
        raise DataFormatError(
            path,
            f"field 'labels' has unknown label '{distinct[worst]}' at frame {first[worst]} "
            f"(known classes: {list(class_names)})",
            "add it to data.classes or relabel those frames",
        )
    return codes[inverse.reshape(-1)]


def _check_rep_starts(path: Path, starts: np.ndarray, frames: int) -> np.ndarray:
    if starts.ndim != 1 or (starts.size and starts.dtype.kind not in "iu"):
        raise DataFormatError(
            path,
            f"field 'rep_starts' must be a 1-D integer array of frame indices, "
            f"got dtype {starts.dtype} and shape {starts.shape}",
            "store it as np.asarray(starts, dtype=np.int64)",
        )
    starts = starts.astype(np.int64)
    bad = np.flatnonzero(np.diff(starts) <= 0)
    if bad.size:
        i = int(bad[0])
        raise DataFormatError(
            path,
            f"field 'rep_starts' is not strictly increasing: value {starts[i]} at position {i} "
            f"is followed by {starts[i + 1]}",
            "sort it and remove duplicates (np.unique)",
        )
    outside = np.flatnonzero((starts < 0) | (starts >= frames))
    if outside.size:
        i = int(outside[0])
        raise DataFormatError(
            path,
            f"field 'rep_starts' value {starts[i]} (position {i}) is outside the frames [0, {frames})",
            "rep starts are frame indices into 'angles'; fix or drop that value",
        )
    return starts


def _check_fps(path: Path, fps: np.ndarray) -> float:
    value = float(fps.item()) if fps.ndim == 0 and fps.dtype.kind in "iuf" else float("nan")
    if not np.isfinite(value) or value <= 0:
        raise DataFormatError(
            path,
            f"field 'fps' must be a positive number scalar, got {fps.dtype} {fps.shape} value {fps.tolist()}",
            "store the capture frame rate, e.g. np.asarray(30.0)",
        )
    return value
