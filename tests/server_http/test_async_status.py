"""`GET /lead/status` through every status an accepted request takes, over HTTP against a real `leadcapture serve`
and a real `leadcapture worker`, each answer checked against docs/openapi.json (R-Q2, R-Q3).

Success and FAILURE are also reached in test_openapi.py; these tests reach the other two: In-Queue while no
worker runs, and ERROR once a system fault has outlived every retry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.api import METRICS, STATUS, leads_by_email, poll_until, submit, wait_until_final
from tests.support.faults import table_missing
from tests.support.openapi import call_as_documented, committed_schema
from tests.support.server import RunningServer, start_server, worker_running

TASK_TYPE = "Lead Capture"
ONE_RETRY = "3s"
"""The worker's retry schedule in the ERROR test: one retry, long enough to read the request In-Queue between."""


def _queue_only_server(tmp_path: Path) -> RunningServer:
    """A server that accepts async captures but applies none (`--no-worker`), its rate limit out of the way."""
    return start_server(tmp_path, "--rate-limit", "100000/1s", "--no-worker")


def _documented_status(schema: Any, server: RunningServer, request_id: str) -> dict[str, Any]:
    """`GET /lead/status` of `request_id`, its answer checked against the document; its body."""
    answer = call_as_documented(schema, server, "GET", STATUS, query={"RequestId": request_id})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_R_Q2_a_request_accepted_while_no_worker_runs_is_in_queue_until_a_worker_applies_it(tmp_path: Path) -> None:
    """In-Queue with no reason and no answer while no worker runs; Success with Lead.Capture's answer after one."""
    schema = committed_schema()
    server = _queue_only_server(tmp_path)
    try:
        with server.client() as client:
            request_id = submit(client, EmailAddress="queued@example.com", FirstName="Quinn")
            queued = _documented_status(schema, server, request_id)
            backlog = call_as_documented(schema, server, "GET", METRICS).json()
            with worker_running(server.database, tmp_path / "worker.log"):
                wait_until_final(client, [request_id])
            applied = _documented_status(schema, server, request_id)
            leads = leads_by_email(client, "queued@example.com")
    finally:
        server.stop()

    assert queued == {
        "RequestId": request_id,
        "TaskStatus": {"TaskType": TASK_TYPE, "Status": "In-Queue", "StatusReason": None},
        "Message": None,
    }
    assert backlog["PendingMessages"] == 1
    assert applied["TaskStatus"] == {"TaskType": TASK_TYPE, "Status": "Success", "StatusReason": None}
    assert applied["Message"]["Status"] == "Success"
    assert applied["Message"]["Message"]["Id"] == leads[0]["ProspectID"]
    assert applied["Message"]["Message"]["IsCreated"] is True
    assert [lead["FirstName"] for lead in leads] == ["Quinn"]


def test_R_Q2_R_Q3_a_request_whose_capture_keeps_meeting_a_system_fault_ends_as_error(tmp_path: Path) -> None:
    """The worker's database fails every capture (its activities table is gone): the request waits In-Queue
    with the fault as its reason, is retried after the delay, then ends as ERROR with no answer; no lead is made.
    """
    schema = committed_schema()
    server = _queue_only_server(tmp_path)
    worker_log = tmp_path / "worker.log"
    try:
        with server.client() as client:
            request_id = submit(client, EmailAddress="unlucky@example.com")
            with (
                table_missing(server.database_file, "activities"),
                worker_running(server.database, worker_log, "--retry-delays", ONE_RETRY),
            ):

                def read() -> dict[str, Any]:
                    return _documented_status(schema, server, request_id)

                retrying = poll_until(read, lambda answer: answer["TaskStatus"]["StatusReason"] is not None)
                ended = poll_until(read, lambda answer: answer["TaskStatus"]["Status"] != "In-Queue")
            backlog = call_as_documented(schema, server, "GET", METRICS).json()
            leads = leads_by_email(client, "unlucky@example.com")
    finally:
        server.stop()

    assert retrying == {
        "RequestId": request_id,
        "TaskStatus": {"TaskType": TASK_TYPE, "Status": "In-Queue", "StatusReason": "System fault: OperationalError"},
        "Message": None,
    }
    assert ended == {
        "RequestId": request_id,
        "TaskStatus": {
            "TaskType": TASK_TYPE,
            "Status": "ERROR",
            "StatusReason": "System fault: OperationalError; gave up after 2 attempts",
        },
        "Message": None,
    }
    assert backlog["PendingMessages"] == 0
    assert leads == []
    log = worker_log.read_text()
    assert f"request {request_id} met a system fault (attempt 1)" in log
    assert f"request {request_id} met a system fault (attempt 2)" in log
