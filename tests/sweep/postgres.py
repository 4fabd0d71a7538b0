"""A throwaway PostgreSQL server for the sweep tests: Debian's ``postgresql`` package, on 127.0.0.1.

``initdb`` makes a fresh cluster in a temporary directory, ``pg_ctl`` starts it on a free port and
stops it afterwards. PostgreSQL refuses to run as root, so under root (CI containers) the server
runs as the ``postgres`` user the package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL = "apt-get install -y postgresql"


class ServerUnavailableError(RuntimeError):
    """No server can be started here; the message says why and what to install."""


def server_bin() -> Path:
    """The directory of ``initdb`` and ``pg_ctl`` (Debian keeps them out of PATH)."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not versions:
        raise ServerUnavailableError(f"PostgreSQL server binaries not found: {INSTALL}")
    return Path(versions[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def postgres_server(user: str = "motionlab") -> Iterator[str]:
    """Start a server; yields the SQLAlchemy URL of its ``postgres`` database (trust auth on 127.0.0.1)."""
    bin_dir = server_bin()
    run_as: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise ServerUnavailableError(
                f"running as root and there is no postgres user: {INSTALL}"
            ) from None
        run_as = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="motionlab-pg-"))
    data = root / "data"
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    port = free_port()

    def run(*command: str) -> None:
        result = subprocess.run([*run_as, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise ServerUnavailableError(
                f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}"
            )

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "--no-sync")
        options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off"
        run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "server.log"),
            "-w",
            "start",
        )
        try:
            yield f"postgresql://{user}@127.0.0.1:{port}/postgres"  # as in docs/sweeps.md (psycopg 3)
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
