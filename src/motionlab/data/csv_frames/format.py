"""Per-frame pose CSVs (seed 001): one row per frame, column roles set by configuration.

A CSV export of a pose pipeline (``results/raw/source1.csv``, ...) has a header row and one row per
frame. Which column plays which role is configuration (`PoseColumns`), so any export can be read
with command-line overrides only:

=============  =======================================================================================
role           meaning
=============  =======================================================================================
``features``   the model inputs: a list of column names, a regular expression (``re.search``) over
               the column names, or ``None`` for every named column without another role. Values
               must be numbers; an empty cell or ``nan`` is a missing value (see ``nan_policy``).
``label``      the activity at that frame (text). A change of label starts a new segment: windows
               never span two labels. ``None`` reads recordings without labels (for a task that
               needs none: ``task=pretrain``).
``recording``  the id of the continuous capture (video, clip) the frame belongs to; ``None`` makes
               each file one recording. A recording is named ``<file stem>/<id>``, so ids may repeat
               across files.
``subject``    optional: the person. Constant within a recording; splits keep a subject together.
``frame``      optional: frame index or timestamp (numbers). Rows are ordered by it within each
               recording; without it, file order is kept. Two rows of a recording with the same value
               are an error.
=============  =======================================================================================

Other columns are ignored, except those named in ``keep``, which are carried as per-recording
metadata (e.g. a column naming each recording's fixed split); like the subject, they must be
constant within a recording. Every problem raises `DataFormatError` naming the file, the CSV line
(1-based; the header is line 1) and the column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motionlab.data.files import data_files
from motionlab.data.recording import Recording
from motionlab.errors import ConfigError, DataFormatError
from motionlab.numbers import check_float32_range

NAN_POLICIES = ("interpolate", "error")

_DOCS = "see docs/formats/pose-csv.md"
_NAN_FIX = "fill it in, or set data.nan_policy=interpolate to interpolate short gaps (data.max_gap)"


@dataclass(frozen=True)
class PoseColumns:
    """Column roles (``data.columns``); see the module docstring."""

    label: str | None
    recording: str | None
    features: Sequence[str] | str | None = None
    subject: str | None = None
    frame: str | None = None

    def roles(self) -> dict[str, str]:
        """Role → column name of every role column that is set (features excluded)."""
        named = {"label": self.label, "recording": self.recording, "subject": self.subject}
        named["frame"] = self.frame
        return {role: name for role, name in named.items() if name is not None}


@dataclass
class PoseTable:
    """Everything read from the CSV files."""

    recordings: list[Recording]
    class_names: list[str]
    feature_names: list[str]
    files: list[str]
    rows: int
    reordered_recordings: int = 0
    columns: dict[str, str | list[str]] = field(default_factory=dict)


@dataclass
class _RawRecording:
    name: str
    source: str
    path: Path
    frames: np.ndarray
    labels: np.ndarray | None  # str, per frame; None without a label column
    lines: np.ndarray  # CSV line of each frame
    meta: dict[str, str]


def pose_csv_files(path: str | Path | Sequence[str | Path]) -> list[Path]:
    """The CSV files at ``path``: one file, every ``*.csv`` under a directory (recursively, sorted),
    or a list of files."""
    if not isinstance(path, str | Path):
        return [file for item in path for file in pose_csv_files(item)]
    return data_files(path, ".csv", "CSV", "files", _DOCS, setting="data.path")


def read_pose_csvs(
    files: Sequence[str | Path],
    columns: PoseColumns,
    fps: float,
    classes: Sequence[str] | None = None,
    nan_policy: str = "interpolate",
    keep: Sequence[str] = (),
) -> PoseTable:
    """Read and validate pose CSVs into `Recording` s with per-frame class indices (``targets["label"]``;
    without a label column, ``columns.label=None``, no targets and no classes).

    Args:
        files: the CSV files (see `pose_csv_files`).
        columns: the column roles.
        fps: frame rate of every recording (CSV files do not carry it).
        classes: the class vocabulary, in index order; a label outside it is an error. ``None``
            uses every label found, sorted alphabetically.
        nan_policy: ``interpolate`` keeps missing values as NaN for the engine to interpolate
            (``data.max_gap``); ``error`` rejects the first one.
        keep: extra columns carried into ``Recording.meta`` (constant within a recording).
    """
    if nan_policy not in NAN_POLICIES:
        raise ConfigError("data.nan_policy", f"unknown policy '{nan_policy}'", f"use one of {NAN_POLICIES}")
    if fps <= 0:
        raise ConfigError("data.fps", f"must be > 0, got {fps}", "set the frame rate of the recordings")
    stems: dict[str, Path] = {}
    raw: list[_RawRecording] = []
    feature_names: list[str] | None = None
    rows = reordered = 0
    for file in map(Path, files):
        if file.stem in stems:
            raise DataFormatError(
                file,
                f"file name '{file.stem}' is also used by {stems[file.stem]}",
                "rename one: recordings are named <file stem>/<recording id>, which must be unique",
            )
        stems[file.stem] = file
        names, recordings, count, out_of_order = _read_file(file, columns, nan_policy, keep)
        if feature_names is not None and names != feature_names:
            raise DataFormatError(
                file,
                f"selects features {names}, but {files[0]} selects {feature_names}",
                "export every file with the same feature columns, or list them in data.columns.features",
            )
        feature_names = names
        raw += recordings
        rows += count
        reordered += out_of_order
    if not raw:
        raise DataFormatError("data.path", "no CSV files given", _DOCS)
    class_names = [] if columns.label is None else _class_names(raw, columns.label, classes, len(files))
    index = {name: i for i, name in enumerate(class_names)}
    recordings = [_to_recording(r, index, columns, fps, feature_names) for r in raw]
    roles: dict[str, str | list[str]] = {**columns.roles(), "features": list(feature_names)}
    return PoseTable(
        recordings,
        class_names,
        list(feature_names),
        [str(f) for f in files],
        rows,
        reordered,
        roles,
    )


def _class_names(
    raw: list[_RawRecording], label: str, classes: Sequence[str] | None, num_files: int
) -> list[str]:
    found = sorted(set().union(*(np.unique(r.labels).tolist() for r in raw)))
    if classes is None:
        class_names = found
    else:
        class_names = [str(c) for c in classes]
        duplicated = sorted({c for c in class_names if class_names.count(c) > 1})
        if duplicated:
            raise ConfigError("data.classes", f"lists {duplicated} more than once", "list each class once")
        known = set(class_names)
        for r in raw:
            unknown = ~np.isin(r.labels, class_names)
            if unknown.any():
                i = int(np.argmax(unknown))
                raise DataFormatError(
                    r.path,
                    f"line {r.lines[i]}, column '{label}': label '{r.labels[i]}' is not one of "
                    f"data.classes {sorted(known)}",
                    "add it to data.classes, or set data.classes=null to use every label found",
                )
    present = [c for c in class_names if c in set(found)]
    if len(present) < 2:
        raise DataFormatError(
            raw[0].path if num_files == 1 else f"{num_files} CSV files",
            f"the label column '{label}' has only one class ({present[0]!r}) in every recording",
            "a classifier needs at least two classes: add recordings of other activities, or check "
            "data.columns.label",
        )
    return class_names


def _to_recording(
    raw: _RawRecording, index: dict[str, int], columns: PoseColumns, fps: float, feature_names: list[str]
) -> Recording:
    targets = {}
    if raw.labels is not None:
        targets["label"] = np.array([index[label] for label in raw.labels.tolist()], dtype=np.int64)
    return Recording(
        name=raw.name,
        frames=raw.frames,
        feature_names=list(feature_names),
        fps=fps,
        group=raw.meta["subject"] if columns.subject is not None else raw.name,
        source=raw.source,
        targets=targets,
        meta=raw.meta,
    )


def _read_file(
    path: Path, columns: PoseColumns, nan_policy: str, keep: Sequence[str]
) -> tuple[list[str], list[_RawRecording], int, int]:
    """Feature names, the file's recordings, its number of data rows and how many recordings had
    rows out of frame order."""
    header, rows, lines = _read_rows(path)
    features, position = _resolve_columns(path, header, columns, keep)
    cells = list(zip(*rows, strict=True))  # column-major, transposed in one C-level pass
    del rows

    def column(name: str) -> tuple[str, ...]:
        return cells[position[name]]

    missing_fix = None if nan_policy == "interpolate" else _NAN_FIX
    values = np.stack([_numbers(path, column(name), name, lines, missing_fix) for name in features], axis=1)
    labels = None if columns.label is None else _texts(path, column(columns.label), columns.label, lines)
    if columns.recording is None:
        ids = np.full(len(lines), path.stem)
    else:
        ids = _texts(path, column(columns.recording), columns.recording, lines)
    unique_ids, inverse = np.unique(ids, return_inverse=True)
    out_of_order = 0
    if columns.frame is None:
        order = np.argsort(inverse, kind="stable")
    else:
        frame = _numbers(path, column(columns.frame), columns.frame, lines, "every row needs its frame")
        order = np.lexsort((frame, inverse))
        _check_unique_frames(path, columns.frame, frame[order], inverse[order], lines[order])
        in_file_order = np.argsort(inverse, kind="stable")  # each recording's rows as the file has them
        same = inverse[in_file_order][1:] == inverse[in_file_order][:-1]
        descending = (np.diff(frame[in_file_order]) < 0) & same
        out_of_order = len(np.unique(inverse[in_file_order][1:][descending]))
    counts = np.bincount(inverse, minlength=len(unique_ids))
    bounds = np.concatenate([[0], np.cumsum(counts)])
    constants = {"subject": columns.subject} if columns.subject is not None else {}
    constants.update({name: name for name in keep})
    constant_values = {key: _texts(path, column(name), name, lines)[order] for key, name in constants.items()}
    sorted_lines = lines[order]
    recordings = []
    for k, rid in enumerate(unique_ids.tolist()):
        part = slice(bounds[k], bounds[k + 1])
        source = f"{path} (recording '{rid}')" if columns.recording is not None else str(path)
        meta = {"file": path.stem}
        for key, texts in constant_values.items():
            meta[key] = _constant(source, constants[key], texts[part], sorted_lines[part])
        recordings.append(
            _RawRecording(
                name=f"{path.stem}/{rid}" if columns.recording is not None else path.stem,
                source=source,
                path=path,
                frames=values[order[part]].astype(np.float32),
                labels=None if labels is None else labels[order[part]],
                lines=sorted_lines[part],
                meta=meta,
            )
        )
    return features, recordings, len(lines), out_of_order


def _read_rows(path: Path) -> tuple[list[str], list[list[str]], np.ndarray]:
    """Header, data rows (blank lines skipped) and the CSV line of each row."""
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise DataFormatError(path, "the file is empty (no header row)", _DOCS)
            for row in reader:
                if len(row) > 1 or (row and row[0].strip()):  # the reader gives [] for a blank line
                    rows.append(row)
                    lines.append(reader.line_num)
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, f"is not UTF-8 text ({exc})", "export the CSV as UTF-8") from exc
    except csv.Error as exc:
        raise DataFormatError(path, f"line {reader.line_num}: not valid CSV ({exc})", _DOCS) from exc
    header = [name.strip() for name in header]
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise DataFormatError(
            path, f"the header repeats column(s) {duplicated}", "give every column its own name"
        )
    if not rows:
        raise DataFormatError(path, "has a header but no data rows (an empty recording)", _DOCS)
    widths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    ragged = np.flatnonzero(widths != len(header))
    if len(ragged):
        i = int(ragged[0])
        raise DataFormatError(
            path,
            f"line {lines[i]} has {widths[i]} fields but the header has {len(header)} columns",
            "every row needs one value per header column (an empty cell for a missing value)",
        )
    return header, rows, np.asarray(lines, dtype=np.int64)


def _resolve_columns(
    path: Path, header: list[str], columns: PoseColumns, keep: Sequence[str]
) -> tuple[list[str], dict[str, int]]:
    """The feature names and the position of every column used."""
    position = {name: j for j, name in enumerate(header)}
    wanted = [(f"data.columns.{role}", name) for role, name in columns.roles().items()]
    wanted += [("data.split.column", name) for name in keep]
    for key, name in wanted:
        if name not in position:
            fix = f"set {key} to one of them"
            if key == "data.columns.label":
                fix += (
                    ", or data.columns.label=null for recordings without labels (only for a task that "
                    "needs none: task=pretrain)"
                )
            raise DataFormatError(path, f"has no column '{name}' ({key}); its columns are {header}", fix)
    # unnamed columns (e.g. from trailing commas) are never selected automatically
    taken = {name for _, name in wanted} | {""}
    spec = columns.features
    if spec is None:
        features = [name for name in header if name not in taken]
    elif isinstance(spec, str):
        try:
            pattern = re.compile(spec)
        except re.error as exc:
            raise ConfigError(
                "data.columns.features", f"'{spec}' is not a valid regular expression ({exc})"
            ) from exc
        features = [name for name in header if name not in taken and pattern.search(name)]
    else:
        features = [str(name) for name in spec]
        unknown = [name for name in features if name not in position]
        if unknown:
            raise DataFormatError(
                path,
                f"has no feature column(s) {unknown} (data.columns.features); its columns are {header}",
                "list feature columns that exist, or give a regular expression",
            )
        roles = [name for name in features if name in taken]
        if roles:
            raise ConfigError(
                "data.columns.features",
                f"{roles} also have another role (label, recording, subject, frame or split column)",
                "remove them from the features",
            )
    if not features:
        raise DataFormatError(
            path,
            f"data.columns.features={spec!r} selects no column; its columns are {header}",
            "list the feature columns or give a regular expression that matches them",
        )
    return features, position


def _numbers(
    path: Path, values: Sequence[str], name: str, lines: np.ndarray, missing_fix: str | None
) -> np.ndarray:
    """A column as float64. An empty cell or ``nan`` is a missing value: NaN when ``missing_fix`` is
    ``None``, else an error with that fix. Non-numbers and infinities raise, naming the line."""
    try:  # Python's float accepts surrounding spaces, "nan" and "NaN"; empty cells need a stand-in
        numbers = np.fromiter(map(float, values), dtype=np.float64, count=len(values))
    except ValueError:
        filled = [value if value.strip() else "nan" for value in values]
        try:
            numbers = np.fromiter(map(float, filled), dtype=np.float64, count=len(values))
        except ValueError:
            i = next(i for i, value in enumerate(filled) if not _is_number(value))
            raise DataFormatError(
                path,
                f"line {lines[i]}, column '{name}': {values[i]!r} is not a number",
                "fix the export; write a missing value as an empty cell or NaN",
            ) from None
    infinite = np.isinf(numbers)
    if infinite.any():
        i = int(np.argmax(infinite))
        raise DataFormatError(
            path,
            f"line {lines[i]}, column '{name}': {values[i]!r} is infinite",
            "write a missing value as an empty cell, or fix the export",
        )
    check_float32_range(path, numbers, lambda index: f"line {lines[index[0]]}, column '{name}'")
    missing = np.isnan(numbers)
    if missing_fix is not None and missing.any():
        i = int(np.argmax(missing))
        raise DataFormatError(path, f"line {lines[i]}, column '{name}': missing value", missing_fix)
    return numbers


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _texts(path: Path, values: Sequence[str], name: str, lines: np.ndarray) -> np.ndarray:
    """A text column, stripped; an empty cell raises."""
    text = np.asarray([value.strip() for value in values])
    empty = text == ""
    if empty.any():
        i = int(np.argmax(empty))
        raise DataFormatError(path, f"line {lines[i]}, column '{name}': empty value", "fill it in")
    return text


def _check_unique_frames(
    path: Path, name: str, frame: np.ndarray, recording: np.ndarray, lines: np.ndarray
) -> None:
    """Rows sorted by (recording, frame): two equal neighbours are a duplicated frame."""
    duplicate = (frame[1:] == frame[:-1]) & (recording[1:] == recording[:-1])
    if duplicate.any():
        i = int(np.argmax(duplicate))
        raise DataFormatError(
            path,
            f"lines {lines[i]} and {lines[i + 1]} of one recording have the same {name} {frame[i]:g}",
            "remove the duplicated row, or give the two captures different recording ids",
        )


def _constant(source: str, name: str, values: np.ndarray, lines: np.ndarray) -> str:
    """The one value of a column that must not change within a recording."""
    differs = values != values[0]
    if differs.any():
        i = int(np.argmax(differs))
        raise DataFormatError(
            source,
            f"column '{name}' changes within the recording: '{values[0]}' on line {lines[0]}, "
            f"'{values[i]}' on line {lines[i]}",
            "give each recording one value, or give the parts different recording ids",
        )
    return str(values[0])
