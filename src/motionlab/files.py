"""Files others read: the one atomic writer, JSON in and out, and a file's fingerprint.

Atomic file output is the one way motionlab writes a file others read while it may change: readers
see the old file or the complete new one, never a partial one. The new file is flushed to disk
(``fsync``) before it replaces the old one, and the directory after, so a crash or power loss never
leaves a truncated file where a good one was.

The temporary file is opened like any other file, so the result gets the usual permissions
(0644 under the common umask 022), as the models, reports and data files must be readable by the
people and services that use them; ``tempfile.mkstemp`` would make each one private (0600).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from motionlab.errors import DataFormatError


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; it replaces ``path`` only if the block succeeds, and
    is removed either way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield temporary
        _sync(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync(path.parent)


def move_into_place(source: Path, destination: Path) -> None:
    """Rename the finished ``source`` (a file, or a folder built beside ``destination``) to
    ``destination`` in one step and sync the directory, so that readers see the old entry or the
    complete new one and the rename survives a crash. Raises `OSError` when ``destination`` is a
    folder that is not empty (another process published it first)."""
    os.replace(source, destination)
    _sync(destination.parent)


def _sync(path: Path) -> None:
    """``fsync`` a file or a directory (a directory's entries: the rename)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_output(path) as temporary:
        temporary.write_text(text)


def write_json_atomic(path: Path, data: Any) -> None:
    """``data`` as indented JSON; arrays become lists and anything else unknown its ``str``."""
    write_text_atomic(path, json.dumps(data, indent=2, default=_jsonable))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; a `DataFormatError` naming the file when it is not valid JSON."""
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise DataFormatError(path, f"not valid JSON ({error})", "re-run what wrote it") from error


def file_sha256(path: Path) -> str:
    """The sha256 of the file's bytes: what an exported model or a checkpoint is recognised by."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
