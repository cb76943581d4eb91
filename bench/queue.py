"""`python -m bench.queue`: async capture beside synchronous Lead.Capture, in the same run and server.

One `leadcapture serve --no-worker` over a SQLite file (synchronous=FULL) on loopback. The same number of
new-lead bodies is sent three ways, each at `--connections` keep-alive connections:

* the baseline: synchronous `Lead.Capture`, a stored lead per answer;
* `POST /lead/capture`: requests accepted (durably in the inbox) per second, with no worker running;
* the drain: a `leadcapture worker` started on the full inbox, requests applied per second until it is empty.

Figures are also given as ratios to the baseline, since this shared machine's speed changes by the minute.
Results go to docs/benchmarks-queue.md (linked from docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Final

import httpx

from bench.loadgen import post_all
from bench.report import command_line, load_average, machine_details, table

DOCS: Final = Path(__file__).resolve().parent.parent / "docs" / "benchmarks-queue.md"
BEGIN: Final = "<!-- bench:queue:begin (written by `python -m bench.queue`; edits here are overwritten) -->"
END: Final = "<!-- bench:queue:end -->"
CAPTURE: Final = "/v2/LeadManagement.svc/Lead.Capture"


def _cli(*args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603 - our own command line, no outside input
            [sys.executable, "-m", "leadcapture.entrypoints.cli", *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bodies(prefix: str, count: int) -> list[bytes]:
    return [
        json.dumps(
            [
                {"Attribute": "EmailAddress", "Value": f"{prefix}{n}@example.com"},
                {"Attribute": "FirstName", "Value": f"Name{n}"},
                {"Attribute": "Phone", "Value": f"9{n:09d}"},
            ],
        ).encode()
        for n in range(count)
    ]


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            msg = f"timed out waiting for {what}"
            raise RuntimeError(msg)
        time.sleep(0.05)


def measure(requests: int, connections: int, folder: Path) -> dict[str, float]:
    """Captures/s (sync), accepted/s (async) and applied/s (drain) for `requests` new leads each."""
    database = f"sqlite:///{folder / 'leads.db'}"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "server.log"
    server = _cli(
        "serve", "--database", database, "--port", str(port), "--rate-limit", "10000000/1s", "--no-worker", log=log
    )
    worker = None
    try:
        _wait_for(lambda: _healthy(base), 60, "the server")
        banner = log.read_text()
        access = re.search(r"AccessKey: (\S+)", banner)
        secret = re.search(r"SecretKey: (\S+)", banner)
        assert access is not None
        assert secret is not None
        keys = {"accessKey": access.group(1), "secretKey": secret.group(1)}
        started = time.perf_counter()
        sync = post_all(base, CAPTURE, keys, _bodies("sync", requests), connections=connections)
        sync_rate = requests / (time.perf_counter() - started)
        started = time.perf_counter()
        accepted = post_all(base, "/lead/capture", keys, _bodies("async", requests), connections=connections)
        accept_rate = requests / (time.perf_counter() - started)
        assert sync == {200: requests}, sync
        assert accepted == {200: requests}, accepted
        worker_log = folder / "worker.log"
        worker = _cli("worker", "--database", database, log=worker_log)
        _wait_for(lambda: "worker applying" in worker_log.read_text(), 60, "the worker")
        started = time.perf_counter()
        _wait_for(lambda: _pending(base, keys) == 0, 600, "the drain")
        drain_rate = requests / (time.perf_counter() - started)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
    return {"sync": sync_rate, "accepted": accept_rate, "drained": drain_rate}


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _pending(base: str, keys: dict[str, str]) -> int:
    return int(httpx.get(f"{base}/lead/capture/metrics", params=keys, timeout=10).json()["PendingMessages"])


def section(figures: dict[str, float], requests: int, connections: int, machine: list[tuple[str, str]]) -> str:
    """The generated part of docs/benchmarks-queue.md."""
    baseline = figures["sync"]
    rows = [
        ("synchronous Lead.Capture (baseline)", f"{baseline:,.0f} captures/s", "1.00x"),
        (
            "POST /lead/capture, accepted",
            f"{figures['accepted']:,.0f} requests/s",
            f"{figures['accepted'] / baseline:.2f}x",
        ),
        ("worker drain, applied", f"{figures['drained']:,.0f} requests/s", f"{figures['drained'] / baseline:.2f}x"),
    ]
    return "\n".join(
        [
            BEGIN,
            "",
            f"Run: `{command_line()}`; {requests:,} new leads per row, {connections} connections, SQLite FULL.",
            "",
            table(("machine", ""), machine),
            "",
            table(("what", "rate", "ratio to baseline"), rows),
            "",
            END,
        ],
    )


def write_section(path: Path, text: str) -> None:
    """Replace the generated part of `path`, keeping the hand-written text around it."""
    current = path.read_text(encoding="utf-8")
    before, _, rest = current.partition(BEGIN)
    _, _, after = rest.partition(END)
    path.write_text(before + text + after, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, report."""
    parser = argparse.ArgumentParser(prog="python -m bench.queue", description=__doc__)
    parser.add_argument("--requests", type=int, default=5_000, help="bodies per measurement (default 5000)")
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections (default 64)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks-queue.md alone")
    options = parser.parse_args(argv)
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as folder:
        figures = measure(options.requests, options.connections, Path(folder))
    text = section(figures, options.requests, options.connections, machine_details(load_before, load_average()))
    print(text)
    if not options.no_write:
        write_section(DOCS, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
