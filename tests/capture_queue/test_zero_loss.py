"""R-Q4 under faults, with real processes: no accepted request is lost and none is applied twice.

2,000 async captures are sent while the worker process is killed with SIGKILL at random moments (at least
10 times) and the server once. Each request carries its own Idempotency-Key, so a client that lost its
answer to the server's death resends it safely (R-Q5). After a clean restart every accepted RequestID
reaches Success or FAILURE, and the database holds exactly one Lead Capture activity per successful
request, the one its answer names.
"""

from __future__ import annotations

import json
import secrets
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from tests.support.api import capture_body, wait_until_final
from tests.support.server import start_server, start_worker

from leadcapture.core.names import LEAD_CAPTURE_EVENT_CODE

REQUESTS = 2_000
EMAILS = 1_500
SENDERS = 8
MIN_WORKER_KILLS = 10
WORKING = "worker applying queued captures"


def _sender(base_url: str, keys: dict[str, str], numbers: range) -> list[str]:
    """Post each numbered request until the server accepts it; their RequestIDs."""
    accepted = []
    with httpx.Client(base_url=base_url, params=keys, timeout=10) as client:
        for number in numbers:
            payload = capture_body(EmailAddress=f"z{number % EMAILS}@example.com", FirstName=f"f{number}")
            deadline = time.monotonic() + 120
            while True:
                try:
                    answer = client.post(
                        "/lead/capture", content=payload, headers={"Idempotency-Key": f"request-{number}"}
                    )
                    if answer.status_code == 200:
                        accepted.append(str(answer.json()["RequestID"]))
                        break
                except httpx.TransportError:
                    pass  # the server is down: send the same request, with the same key, again
                assert time.monotonic() < deadline, f"request {number} was never accepted"
                time.sleep(0.1)
    return accepted


def test_R_Q4_no_accepted_request_is_lost_or_applied_twice_under_sigkill(tmp_path: Path) -> None:
    """Kill the worker >= 10 times and the server once while 2,000 captures arrive; then check every one."""
    server = start_server(tmp_path, "--rate-limit", "100000/1s", "--no-worker")
    worker_log = tmp_path / "worker.log"
    worker = start_worker(server.database, worker_log)
    sending = threading.Event()
    sending.set()
    kills = {"worker": 0, "server": 0}

    def killer() -> None:
        nonlocal worker
        while sending.is_set() or kills["worker"] < MIN_WORKER_KILLS:
            # Once the worker is at work, kill it at a random moment of its next 0.4 s.
            while worker_log.read_text().count(WORKING) <= kills["worker"]:
                time.sleep(0.05)
            time.sleep(secrets.randbelow(400) / 1000)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            kills["worker"] += 1
            if kills["worker"] == MIN_WORKER_KILLS // 2:
                server.process.send_signal(signal.SIGKILL)
                server.process.wait(timeout=30)
                kills["server"] += 1
                server.restart()
            worker = start_worker(server.database, worker_log)

    chaos = threading.Thread(target=killer)
    chaos.start()
    try:
        shares = [range(first, REQUESTS, SENDERS) for first in range(SENDERS)]
        with ThreadPoolExecutor(SENDERS) as pool:
            accepted = [
                rid
                for part in pool.map(lambda numbers: _sender(server.base_url, server.keys, numbers), shares)
                for rid in part
            ]
        sending.clear()
        chaos.join(timeout=120)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        worker = start_worker(server.database, worker_log)  # the clean restart
        with httpx.Client(base_url=server.base_url, params=server.keys, timeout=30) as client:
            final = wait_until_final(client, accepted, timeout=300)
    finally:
        sending.clear()
        worker.terminate()
        worker.wait(timeout=30)
        server.stop()
    assert kills["worker"] >= MIN_WORKER_KILLS
    assert kills["server"] == 1
    assert len(set(accepted)) == REQUESTS
    _assert_each_applied_once(tmp_path / "leads.db", final)


def _assert_each_applied_once(database: Path, final: dict[str, dict[str, Any]]) -> None:
    """Every request ended well, and the database holds exactly the activities their answers name."""
    outcomes = {status["TaskStatus"]["Status"] for status in final.values()}
    assert outcomes <= {"Success", "FAILURE"}
    successes = [
        status["Message"]["Message"] for status in final.values() if status["TaskStatus"]["Status"] == "Success"
    ]
    assert len(successes) == REQUESTS  # every body is valid
    with sqlite3.connect(database) as conn:
        activities = dict(
            conn.execute(
                "SELECT id, lead_id FROM activities WHERE event_code = ?", (LEAD_CAPTURE_EVENT_CODE,)
            ).fetchall()
        )
        leads = {row[0]: json.loads(row[1]) for row in conn.execute("SELECT id, fields FROM leads")}
    assert len(activities) == len(successes)  # one Lead Capture activity per request: none applied twice
    for answer in successes:
        assert activities[answer["RelatedId"]] == answer["Id"]
        assert answer["Id"] in leads
    assert len(leads) == EMAILS
