"""Static websites on their own origins of 127.0.0.1, for pages that embed the tracker."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Website:
    """A static website on its own origin (`http://127.0.0.1:PORT`), serving the files of `folder`."""

    origin: str
    folder: Path

    def url(self, path: str) -> str:
        """The address of `path` on this website."""
        return f"{self.origin}/{path.lstrip('/')}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output to the tests."""


@contextmanager
def website(folder: Path) -> Iterator[Website]:
    """A static website serving `folder` on a free port of 127.0.0.1, in a thread, for the block."""
    folder.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # the system picks a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Website(origin=f"http://127.0.0.1:{server.server_address[1]}", folder=folder)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)
