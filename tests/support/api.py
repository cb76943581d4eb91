"""What tests send to a running server and read back from it over HTTP."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

import httpx
from tests.support.server import RunningServer

CAPTURE: Final = "/v2/LeadManagement.svc/Lead.Capture"
BY_EMAIL: Final = "/v2/LeadManagement.svc/Leads.GetByEmailaddress"
ASYNC_CAPTURE: Final = "/lead/capture"
STATUS: Final = "/lead/status"
METRICS: Final = "/lead/capture/metrics"
FINAL_STATUSES: Final = frozenset({"Success", "FAILURE", "ERROR"})
"""The statuses an accepted request ends in; it is In-Queue until then."""
Answer = TypeVar("Answer")


def capture_body(**fields: str) -> bytes:
    """A Lead.Capture body (LeadSquared's attribute list) from attribute names and values."""
    return json.dumps([{"Attribute": name, "Value": value} for name, value in fields.items()]).encode()


def capture(server: RunningServer, body: bytes, **params: str) -> httpx.Response:
    """`Lead.Capture` of `body` with the server's printed key and `params`, on a connection of its own."""
    with server.client() as client:
        return client.post(CAPTURE, content=body, params=params)


def capture_at_once(server: RunningServer, bodies: list[bytes]) -> list[httpx.Response]:
    """Send every body from a thread and a connection of its own, all released at once; the answers."""
    start = threading.Barrier(len(bodies))
    answers: list[httpx.Response] = []

    def send(body: bytes) -> None:
        with server.client() as client:
            start.wait()
            answers.append(client.post(CAPTURE, content=body))

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def assert_envelope(response: httpx.Response, exception_type: str) -> None:
    """`response` is LeadSquared's error envelope with `exception_type` and a message (R-H2)."""
    body = response.json()
    assert body["Status"] == "Error", body
    assert body["ExceptionType"] == exception_type, body
    assert body["ExceptionMessage"], body


def leads_by_email(client: httpx.Client, email: str) -> list[dict[str, str]]:
    """The leads with `email`, as `Leads.GetByEmailaddress` answers them."""
    answer = client.get(BY_EMAIL, params={"EmailAddress": email})
    assert answer.status_code == 200, answer.text
    leads: list[dict[str, str]] = answer.json()
    return leads


def activity_count(client: httpx.Client, email: str) -> int:
    """How many activities the one lead with `email` has, read through the API."""
    leads = leads_by_email(client, email)
    assert len(leads) == 1, leads
    found = client.post("/v2/ProspectActivity.svc/Retrieve", params={"leadId": leads[0]["ProspectID"]})
    return int(found.json()["RecordCount"])


def submit(client: httpx.Client, **fields: str) -> str:
    """`POST /lead/capture` of a body with these attributes; the RequestID it was accepted under."""
    answer = client.post(ASYNC_CAPTURE, content=capture_body(**fields))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["RequestID"])


def statuses(client: httpx.Client, request_ids: list[str]) -> dict[str, dict[str, Any]]:
    """`GET /lead/status` for every id."""
    found = {}
    for request_id in request_ids:
        answer = client.get(STATUS, params={"RequestId": request_id})
        assert answer.status_code == 200, answer.text
        found[request_id] = answer.json()
    return found


def poll_until(read: Callable[[], Answer], reached: Callable[[Answer], bool], timeout: float = 60) -> Answer:
    """Call `read` every 0.1 s until `reached` holds for what it returns (at most `timeout` seconds); that."""
    deadline = time.monotonic() + timeout
    while True:
        answer = read()
        if reached(answer):
            return answer
        assert time.monotonic() < deadline, answer
        time.sleep(0.1)


def final_status(client: httpx.Client, request_id: str) -> dict[str, Any]:
    """`GET /lead/status` of `request_id` once it is Success, FAILURE or ERROR."""
    return poll_until(
        lambda: statuses(client, [request_id])[request_id],
        lambda answer: answer["TaskStatus"]["Status"] in FINAL_STATUSES,
    )


def wait_until_final(client: httpx.Client, request_ids: list[str], timeout: float = 120) -> dict[str, dict[str, Any]]:
    """Poll until the inbox is empty and every listed request is Success, FAILURE or ERROR; their statuses."""
    deadline = time.monotonic() + timeout
    pending = list(request_ids)
    done: dict[str, dict[str, Any]] = {}
    while True:
        assert time.monotonic() < deadline, f"{len(pending)} requests still pending"
        metrics = client.get(METRICS).json()
        if metrics["PendingMessages"] == 0:
            done.update(statuses(client, pending))
            pending = [rid for rid in pending if done[rid]["TaskStatus"]["Status"] not in FINAL_STATUSES]
            assert not pending, [done[rid] for rid in pending[:3]]
            return done
        time.sleep(0.2)


def table_rows(server: RunningServer, table: str) -> int:
    """How many rows `table` of the server's SQLite database holds."""
    with sqlite3.connect(server.database_file) as connection:
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(count)
