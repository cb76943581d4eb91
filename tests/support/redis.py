"""A throwaway Redis server on a free 127.0.0.1 port, for tests of state shared between server processes."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from tests.support.postgres import free_port

START_TIMEOUT_S = 30


@contextmanager
def throwaway_redis() -> Iterator[str]:
    """Start `redis-server` (Debian's `redis-server` package) without persistence; yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        msg = "redis-server is not installed: make test installs Debian's redis-server package"
        raise RuntimeError(msg)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="leadcapture-redis-") as folder:
        process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}"
        try:
            client = redis.Redis.from_url(url)
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            client.close()
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)
