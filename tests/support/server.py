"""A real `leadcapture serve` process on a free 127.0.0.1 port, over its own SQLite file or a given database."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.support.postgres import free_port

SQLITE_PREFIX = "sqlite:///"


@dataclass
class RunningServer:
    """A started server: where it listens, the key it printed, and how to stop and start it again."""

    base_url: str
    access_key: str
    secret_key: str
    database: str
    args: list[str]
    log: Path
    process: subprocess.Popen[bytes]
    verify: ssl.SSLContext | bool = True
    """What an HTTPS client trusts: the server's own certificate file when it serves TLS (`start_server(tls=)`)."""

    @property
    def keys(self) -> dict[str, str]:
        """The printed key as LeadSquared's query parameters."""
        return {"accessKey": self.access_key, "secretKey": self.secret_key}

    @property
    def header_keys(self) -> dict[str, str]:
        """The printed key as LeadSquared's `x-LSQ-AccessKey` and `x-LSQ-SecretKey` headers."""
        return {"x-LSQ-AccessKey": self.access_key, "x-LSQ-SecretKey": self.secret_key}

    @property
    def database_file(self) -> Path:
        """The SQLite file the server writes (for a server started on its own SQLite database)."""
        assert self.database.startswith(SQLITE_PREFIX), self.database
        return Path(self.database.removeprefix(SQLITE_PREFIX))

    def client(self, keys: dict[str, str] | None = None) -> httpx.Client:
        """An HTTP client to this server sending `keys` (by default the printed key) as query parameters."""
        return httpx.Client(base_url=self.base_url, params=keys or self.keys, timeout=30, verify=self.verify)

    def issue_key(self, name: str, *options: str) -> dict[str, str]:
        """Another access key, made by `leadcapture keys create --name NAME OPTIONS` on this server's database.

        As query parameters: `accessKey`, and `secretKey` unless it is a site key (`--site`), which has none.
        """
        made = subprocess.run(
            [
                sys.executable,
                "-m",
                "leadcapture.entrypoints.cli",
                "keys",
                "create",
                "--database",
                self.database,
                "--name",
                name,
                "--json",
                *options,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        issued = json.loads(made.stdout)
        keys = {"accessKey": issued["AccessKey"]}
        if "SecretKey" in issued:
            keys["secretKey"] = issued["SecretKey"]
        return keys

    def stop(self) -> None:
        """Stop the server and wait for it."""
        self.process.terminate()
        self.process.wait(timeout=30)

    def restart(self) -> None:
        """Start the same command again on the same database and port."""
        self.stop()
        self.process = _start(self.args, self.base_url, self.log, self.verify)


def _command(command: str, args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """`leadcapture <command> <args>` in its own process, its output appended to `log`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "leadcapture.entrypoints.cli", command, *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def _start(args: list[str], base_url: str, log: Path, verify: ssl.SSLContext | bool = True) -> subprocess.Popen[bytes]:
    process = _command("serve", args, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health", timeout=1, verify=verify).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            msg = f"server exited with {process.returncode}: {log.read_text()}"
            raise RuntimeError(msg)
        time.sleep(0.2)
    process.kill()
    msg = "server did not answer /health within 60 s"
    raise RuntimeError(msg)


def start_server(
    tmp_path: Path, *extra: str, database: str | None = None, tls: tuple[Path, Path] | None = None
) -> RunningServer:
    """Start `leadcapture serve` with `extra` options and read the first key it prints.

    The database is a new SQLite file in `tmp_path` unless `database` names another (a PostgreSQL URL).
    With `tls` (a certificate file and its key file) the server serves HTTPS, and clients trust that certificate.
    """
    database = database or f"{SQLITE_PREFIX}{tmp_path / 'leads.db'}"
    port = free_port()
    args = ["--database", database, "--port", str(port), *extra]
    verify: ssl.SSLContext | bool = True
    scheme = "http"
    if tls is not None:
        args += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        verify, scheme = ssl.create_default_context(cafile=str(tls[0])), "https"
    base_url = f"{scheme}://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    process = _start(args, base_url, log, verify)
    banner = log.read_text()
    access = re.search(r"AccessKey: (\S+)", banner)
    secret = re.search(r"SecretKey: (\S+)", banner)
    assert access is not None, banner
    assert secret is not None, banner
    return RunningServer(base_url, access.group(1), secret.group(1), database, args, log, process, verify)


def start_another(first: RunningServer, folder: Path, *extra: str) -> RunningServer:
    """Start a second `leadcapture serve` on `first`'s database (a new port and log; the same keys)."""
    port = free_port()
    args = ["--database", first.database, "--port", str(port), *extra]
    base_url = f"http://127.0.0.1:{port}"
    log = folder / f"server-{port}.log"
    process = _start(args, base_url, log)
    return RunningServer(base_url, first.access_key, first.secret_key, first.database, args, log, process)


def start_worker(database: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    """A `leadcapture worker` process applying the async capture inbox of `database`, with `extra` options."""
    return _command("worker", ["--database", database, *extra], log)


@contextmanager
def worker_running(database: str, log: Path, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """A `leadcapture worker` process (as `start_worker`) for the block, stopped and waited for after it."""
    worker = start_worker(database, log, *extra)
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)
