"""The model registry: every exported model, its version and where it came from, in one JSON file
(``outputs/model_registry.json``; ``registry.path`` in configs/export.yaml).

    python -m motionlab.export.registry                      # table, newest first
    python -m motionlab.export.registry outputs/model_registry.json --json

Versions: per model name (``registry.name``; by default the run's name, e.g. ``workout_tcn``) an
integer counting up from 1; the ONNX file carries it in its metadata (``model_name``,
``model_version``) and so does its model card. An identical re-export — the same checkpoint bytes
exported with the same graph settings (``export.outputs``, ``export.opset``, ``export.dynamic_time``),
together the ``fingerprint`` — keeps its version: its entry is updated (files, ``exported_at``,
``exports``) rather than joined by a second one that would differ only in its timestamp.

Concurrent exports: the export makes its files first, without a version (`export_model`); then it
holds an exclusive lock (``flock`` on ``<registry>.lock``) while it chooses its version, writes it into
its files and records it, so no two exports get the same version and a failed or killed export claims
none; the file is replaced atomically, so readers never see a partial file.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from motionlab.errors import DataFormatError
from motionlab.files import file_sha256, write_text_atomic

REGISTRY_FORMAT = 1
# The export settings that change the graph; with the checkpoint's bytes they identify a model.
GRAPH_SETTINGS = ("outputs", "opset", "dynamic_time")


def model_fingerprint(checkpoint_sha256: str, export_settings: Mapping[str, Any]) -> str:
    """sha256 over the checkpoint's sha256 and the graph settings of the export."""
    settings = {key: export_settings[key] for key in GRAPH_SETTINGS}
    identity = json.dumps({"checkpoint_sha256": checkpoint_sha256, **settings}, sort_keys=True)
    return hashlib.sha256(identity.encode()).hexdigest()


def read_registry(path: Path) -> list[dict[str, Any]]:
    """The registry's entries, oldest first; none when the file does not exist yet."""
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise DataFormatError(
            path, f"not valid JSON ({error})", "restore it from a backup or delete it"
        ) from error
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise DataFormatError(path, "no 'models' list", "this is not a motionlab model registry")
    return data["models"]


@dataclass
class Registration:
    """The version an export is to carry; `record` its entry once the files are written."""

    name: str
    version: int
    fingerprint: str
    previous: dict[str, Any] | None  # the entry of an identical earlier export, if any
    entry: dict[str, Any] | None = None

    def record(self, entry: dict[str, Any]) -> None:
        previous = self.previous or {}
        identity = {"name": self.name, "version": self.version, "fingerprint": self.fingerprint}
        self.entry = {
            **identity,
            **entry,
            **identity,  # first in the file, and never overridden by the entry
            "created_at": previous.get("created_at", entry["exported_at"]),
            "exports": previous.get("exports", 0) + 1,
        }


def lock_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.lock")


def check_writable(path: Path) -> None:
    """Create the registry's folder and lock file now, so that an unwritable registry fails before an
    export's work rather than after it (a `PermissionError` naming the path)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path(path).touch()


@contextlib.contextmanager
def registering(path: Path, name: str, fingerprint: str) -> Iterator[Registration]:
    """Hold the registry's lock, yield the version for (``name``, ``fingerprint``), and write the
    entry recorded in the block when it ends without an error. Keep the block short (publishing
    finished files): other exports into the registry wait for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(path), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        entries = read_registry(path)
        same_name = [entry for entry in entries if entry["name"] == name]
        previous = next((e for e in reversed(same_name) if e["fingerprint"] == fingerprint), None)
        version = previous["version"] if previous else 1 + max((e["version"] for e in same_name), default=0)
        registration = Registration(name, version, fingerprint, previous)
        yield registration
        if registration.entry is not None:
            kept = [entry for entry in entries if entry is not previous]
            index = entries.index(previous) if previous else len(kept)
            kept.insert(index, registration.entry)
            write_text_atomic(path, json.dumps({"format": REGISTRY_FORMAT, "models": kept}, indent=2))


def file_state(entry: Mapping[str, Any]) -> str:
    """``ok`` when the ONNX file is still the exported one, ``missing`` or ``changed`` (e.g. replaced
    by a later export into the same folder)."""
    path = Path(entry["onnx"]["path"])
    if not path.is_file():
        return "missing"
    return "ok" if file_sha256(path) == entry["onnx"]["sha256"] else "changed"


def print_table(entries: list[dict[str, Any]], console: Console) -> None:
    table = Table(title=f"{len(entries)} model version(s)", title_justify="left")
    for column in ("model", "version", "task", "monitored", "exported", "exports", "file", "onnx"):
        table.add_column(column, justify="right" if column in ("version", "exports") else "left")
    for entry in sorted(entries, key=lambda e: e["exported_at"], reverse=True):
        monitor = entry.get("monitor") or {}
        value = monitor.get("value")
        state = file_state(entry)
        table.add_row(
            entry["name"],
            str(entry["version"]),
            entry["task"],
            f"{monitor.get('metric', '?')} = {'-' if value is None else f'{value:.4g}'}",
            entry["exported_at"],
            str(entry["exports"]),
            state if state == "ok" else f"[red]{state}[/red]",
            entry["onnx"]["path"],
        )
    console.print(table)


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m motionlab.export.registry`` (and of ``motionlab registry``)."""
    parser = argparse.ArgumentParser(
        prog="python -m motionlab.export.registry", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "registry", nargs="?", default="outputs/model_registry.json", type=Path, help="the registry file"
    )
    parser.add_argument("--json", action="store_true", help="print the entries as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.registry.is_file():
        print(f"{args.registry}: no model registry yet — export a model first (make export)", file=sys.stderr)
        return 1
    entries = read_registry(args.registry)
    if args.json:
        print(json.dumps([{**entry, "file": file_state(entry)} for entry in entries], indent=2))
    else:
        print_table(entries, Console(width=200))
    return 0


if __name__ == "__main__":
    sys.exit(main())
