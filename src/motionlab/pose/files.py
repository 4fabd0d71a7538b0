"""Pre-extracted landmark files: ``.npy``, ``.npz`` or ``.csv`` holding ``[T, 33, 4]`` landmarks.

==========  ====================================================================================
format      content
==========  ====================================================================================
``.npy``    one float array ``[T, 33, 4]`` or ``[T, 132]`` (landmark-major, see
            `motionlab.pose.landmarks`); a NaN row is a frame without a pose
``.npz``    field ``landmarks`` as in ``.npy``, optional scalar ``fps``; plain arrays only
``.csv``    a header naming the 132 features (``nose_x, nose_y, nose_z, nose_visibility, ...``, any
            column order), one row per frame; empty cells are NaN. An optional ``frame`` column
            numbers the rows (strictly increasing from 0): frame numbers it skips are frames
            without a pose
==========  ====================================================================================

Coordinates are MediaPipe's (`motionlab.pose.landmarks`): what the extractor writes, so a folder of
landmark files and a folder of videos train the same way.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np

from motionlab.errors import DataFormatError
from motionlab.files import atomic_output
from motionlab.numbers import check_float32_range
from motionlab.pose.landmarks import COORDINATES, NUM_FEATURES, NUM_LANDMARKS, feature_names

LANDMARK_SUFFIXES: tuple[str, ...] = (".npy", ".npz", ".csv")
_SHAPES = "[T, 33, 4] or [T, 132] (33 MediaPipe landmarks × x, y, z, visibility)"
_VISIBILITY_SLACK = 1e-3


def read_landmarks(path: str | Path) -> tuple[np.ndarray, float | None]:
    """``(landmarks [T, 33, 4] float32, fps or None)`` from a landmark file, validated."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such landmark file")
    if path.suffix == ".csv":
        values, fps = _read_csv(path), None
    elif path.suffix in (".npy", ".npz"):
        values, fps = _read_numpy(path)
    else:
        raise DataFormatError(
            path, f"unknown landmark file type '{path.suffix}'", f"use one of {LANDMARK_SUFFIXES}"
        )
    return _check_landmarks(path, values), fps


def write_landmarks(path: str | Path, landmarks: np.ndarray, fps: float | None = None) -> Path:
    """Write ``landmarks [T, 33, 4]`` as ``.npz`` (with ``fps``), ``.npy`` or ``.csv``, atomically."""
    path = Path(path)
    if path.suffix not in LANDMARK_SUFFIXES:
        raise ValueError(f"{path}: landmark files end in one of {LANDMARK_SUFFIXES}")
    landmarks = _check_landmarks(path, np.asarray(landmarks))
    with atomic_output(path) as temporary:
        if path.suffix == ".csv":
            with open(temporary, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(feature_names())
                for row in landmarks.reshape(len(landmarks), NUM_FEATURES):
                    writer.writerow(["" if np.isnan(v) else f"{v:.7g}" for v in row])
        else:
            with open(temporary, "wb") as f:
                if path.suffix == ".npy":
                    np.save(f, landmarks)
                else:
                    np.savez_compressed(
                        f, landmarks=landmarks, **({} if fps is None else {"fps": np.float64(fps)})
                    )
    return path


def _read_numpy(path: Path) -> tuple[np.ndarray, float | None]:
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFormatError(path, f"not a readable NumPy file ({type(exc).__name__}: {exc})") from exc
    if isinstance(loaded, np.ndarray):
        if path.suffix == ".npz":
            raise DataFormatError(path, "holds a single array, not an .npz archive", "save it as .npy")
        return loaded, None
    with loaded:
        if "landmarks" not in loaded.files:
            raise DataFormatError(
                path,
                f"no field 'landmarks' (fields: {sorted(loaded.files)})",
                f"store the landmarks {_SHAPES} as 'landmarks'",
            )
        values = loaded["landmarks"]
        fps = None
        if "fps" in loaded.files:
            fps_value = loaded["fps"]
            if fps_value.shape != () or not np.issubdtype(fps_value.dtype, np.number) or not fps_value > 0:
                raise DataFormatError(path, f"field 'fps' must be a positive number, got {fps_value!r}")
            fps = float(fps_value)
    return values, fps


def _read_csv(path: Path) -> np.ndarray:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise DataFormatError(
            path, "is empty", "write a header row with the 132 feature names, then one row per frame"
        )
    header = [name.strip() for name in rows[0]]
    expected = feature_names()
    missing = [name for name in expected if name not in header]
    unknown = [name for name in header if name not in expected and name != "frame"]
    if missing or unknown:
        raise DataFormatError(
            path,
            f"header row: missing column(s) {missing[:6]}{' ...' if len(missing) > 6 else ''}"
            + (f", unknown column(s) {unknown[:6]}" if unknown else ""),
            "name the columns <landmark>_<x|y|z|visibility> as in motionlab.pose.landmarks.feature_names()",
        )
    order = [header.index(name) for name in expected]
    values = np.full((len(rows) - 1, NUM_FEATURES), np.nan, dtype=np.float32)
    for r, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise DataFormatError(path, f"row {r + 2} has {len(row)} cells for {len(header)} columns")
        for c, column in enumerate(order):
            cell = row[column].strip()
            if cell:
                try:
                    values[r, c] = float(cell)
                except ValueError:
                    raise DataFormatError(
                        path,
                        f"row {r + 2}, column '{expected[c]}': '{cell}' is not a number",
                        "leave the cell empty for a missing value",
                    ) from None
    if "frame" not in header:
        return values
    frames = _frame_numbers(path, [row[header.index("frame")] for row in rows[1:]])
    full = np.full((frames[-1] + 1 if len(frames) else 0, NUM_FEATURES), np.nan, dtype=np.float32)
    full[frames] = values
    return full


def _frame_numbers(path: Path, cells: list[str]) -> np.ndarray:
    try:
        frames = np.array([int(cell) for cell in cells], dtype=np.int64)
    except ValueError:
        raise DataFormatError(path, "column 'frame' must hold whole frame numbers") from None
    if len(frames) and (frames[0] < 0 or (np.diff(frames) <= 0).any()):
        bad = 0 if frames[0] < 0 else int(np.flatnonzero(np.diff(frames) <= 0)[0]) + 1
        raise DataFormatError(
            path,
            f"column 'frame' must increase strictly from >= 0; row {bad + 2} has {frames[bad]}",
            "sort the rows by frame and drop duplicates",
        )
    return frames


def _check_landmarks(path: Path, values: np.ndarray) -> np.ndarray:
    if not np.issubdtype(values.dtype, np.number):
        raise DataFormatError(path, f"landmarks must be numbers, got dtype {values.dtype}")
    if values.ndim == 2 and values.shape[1] == NUM_FEATURES:
        values = values.reshape(len(values), NUM_LANDMARKS, len(COORDINATES))
    if values.ndim != 3 or values.shape[1:] != (NUM_LANDMARKS, len(COORDINATES)):
        raise DataFormatError(path, f"landmarks have shape {list(values.shape)}", f"expected {_SHAPES}")
    if len(values) == 0:
        raise DataFormatError(path, "has no frames")
    check_float32_range(
        path, values, lambda index: f"frame {index[0]}, feature '{feature_names()[4 * index[1] + index[2]]}'"
    )
    values = values.astype(np.float32)
    if np.isinf(values).any():
        frame, landmark, coordinate = np.argwhere(np.isinf(values))[0]
        raise DataFormatError(
            path,
            f"infinite value at frame {frame}, feature '{feature_names()[4 * landmark + coordinate]}'",
            "use NaN for a missing value",
        )
    visibility = values[..., 3]
    bad = (visibility < -_VISIBILITY_SLACK) | (visibility > 1 + _VISIBILITY_SLACK)
    if bad.any():
        frame, landmark = np.argwhere(bad)[0]
        raise DataFormatError(
            path,
            f"visibility {visibility[frame, landmark]:.3g} outside [0, 1] "
            f"at frame {frame}, landmark {landmark}",
            "the 4th coordinate of each landmark is MediaPipe's visibility, a probability",
        )
    return values
