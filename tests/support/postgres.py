"""A throwaway PostgreSQL cluster: initdb in a temporary folder, a free port on 127.0.0.1, stopped afterwards.

Nothing is skipped when PostgreSQL is missing: the tests that need it fail, naming what to install.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl: $LEADCAPTURE_PG_BIN, Debian's layout, or the PATH."""
    configured = os.environ.get("LEADCAPTURE_PG_BIN")
    if configured:
        return Path(configured)
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    msg = "PostgreSQL server binaries not found: install Debian's postgresql package (apt-get install postgresql)"
    raise RuntimeError(msg)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as_owner(args: list[str], *, user: str | None) -> None:
    subprocess.run(args, check=True, capture_output=True, user=user, timeout=120)


@contextmanager
def throwaway_cluster(*, fsync: bool = False) -> Iterator[str]:
    """Start a new cluster and yield its URL (`postgresql://postgres@127.0.0.1:PORT/postgres`).

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` system user.
    """
    bin_dir = postgres_bin_dir()
    user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="leadcapture-pg-"))
    data = root / "data"
    if user is not None:
        shutil.chown(root, user=user)
    port = free_port()
    try:
        _run_as_owner(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            user=user,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not fsync:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _run_as_owner(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
            user=user,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            _run_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], user=user)
        shutil.rmtree(root, ignore_errors=True)


def create_database(url: str, name: str) -> str:
    """Create database `name` on the cluster at `url` and return its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name
