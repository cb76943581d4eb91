"""Helpers for the async capture tests: posting to the inbox, reading statuses, running worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from tests.support.api import capture_body

from leadcapture.adapters.inbox import SQLInbox
from leadcapture.adapters.sql import SQLTransaction
from leadcapture.entrypoints.async_capture import request_identifiers
from leadcapture.service import Engine

FINAL = {"Success", "FAILURE", "ERROR"}
ACCESS_KEY = "in-process-key"
"""The access key requests queued in-process are sent with."""


def accept(engine: Engine, inbox: SQLInbox, attributes: bytes, behavior: str | None = None) -> str:
    """Put a request in the inbox as `POST /lead/capture` does; its RequestID."""
    request_id = engine.new_id()
    with inbox.store.transaction() as tx:
        assert isinstance(tx, SQLTransaction)
        inbox.accept_in(
            tx,
            request_id=request_id,
            access_key=ACCESS_KEY,
            body=attributes,
            behavior=behavior,
            identifiers=request_identifiers(engine, attributes, behavior),
            now=engine.now(),
        )
    return request_id


def submit(client: httpx.Client, **fields: str) -> str:
    """`POST /lead/capture` of a body with these attributes; the RequestID it was accepted under."""
    answer = client.post("/lead/capture", content=capture_body(**fields))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["RequestID"])


def statuses(client: httpx.Client, request_ids: list[str]) -> dict[str, dict[str, Any]]:
    """`GET /lead/status` for every id."""
    found = {}
    for request_id in request_ids:
        answer = client.get("/lead/status", params={"RequestId": request_id})
        assert answer.status_code == 200, answer.text
        found[request_id] = answer.json()
    return found


def wait_until_final(client: httpx.Client, request_ids: list[str], timeout: float = 120) -> dict[str, dict[str, Any]]:
    """Poll until the inbox is empty and every listed request is Success, FAILURE or ERROR; their statuses."""
    deadline = time.monotonic() + timeout
    pending = list(request_ids)
    done: dict[str, dict[str, Any]] = {}
    while True:
        assert time.monotonic() < deadline, f"{len(pending)} requests still pending"
        metrics = client.get("/lead/capture/metrics").json()
        if metrics["PendingMessages"] == 0:
            done.update(statuses(client, pending))
            pending = [rid for rid in pending if done[rid]["TaskStatus"]["Status"] not in FINAL]
            assert not pending, [done[rid] for rid in pending[:3]]
            return done
        time.sleep(0.2)


def start_worker(database: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    """A `leadcapture worker` process on `database`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "leadcapture.entrypoints.cli", "worker", "--database", database, *extra],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
