"""Finding a dataset's files: one file, or every file of a type under a directory."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from motionlab.errors import DataFormatError


def data_files(
    path: str | Path, suffix: str | tuple[str, ...], kind: str, found: str, fix: str, setting: str = ""
) -> list[Path]:
    """``[path]`` for a file; for a directory, every ``*<suffix>`` file under it (recursively, in
    sorted relative-path order, so the order is the same on every machine). ``suffix`` may be a
    tuple of suffixes.

    Raises ``FileNotFoundError`` naming ``kind`` (e.g. "workout session") and the ``setting`` that
    gave the path when ``path`` does not exist, and `DataFormatError` naming what was not ``found``
    (e.g. "workout sessions"), with ``fix``, when a directory holds no such file.
    """
    path = Path(path)
    if not path.exists():
        where = f" ({setting})" if setting else ""
        raise FileNotFoundError(f"{path}: no such {kind} file or directory{where}")
    if path.is_file():
        return [path]
    if not os.access(path, os.R_OK | os.X_OK):  # rglob would silently find nothing in it
        raise DataFormatError(
            path,
            f"this {kind} directory cannot be read (permission denied)",
            f"give read access (chmod -R u+rX {path}) or point {setting or 'the data path'} elsewhere",
        )
    suffixes = (suffix,) if isinstance(suffix, str) else suffix
    files = sorted(
        (file for end in suffixes for file in path.rglob(f"*{end}")),
        key=lambda p: p.relative_to(path).as_posix(),
    )
    if not files:
        raise DataFormatError(
            path, f"no {' or '.join(suffixes)} {found} found in this directory (searched recursively)", fix
        )
    return files


def check_unique_stems(files: Sequence[Path], unit: str) -> None:
    """The file stem is the ``unit``'s id (session, clip): two files with one stem are an error."""
    seen: dict[str, Path] = {}
    for file in files:
        if file.stem in seen:
            raise DataFormatError(
                file,
                f"{unit} id '{file.stem}' is also used by {seen[file.stem]}",
                f"rename one of the files: the file stem is the {unit} id and must be unique",
            )
        seen[file.stem] = file
