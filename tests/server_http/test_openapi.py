"""The served OpenAPI document: committed in docs/openapi.json, and what the real server answers keeps to it.

A schemathesis run generates requests for every operation from the document the server itself serves and
checks each answer: never a 5xx, every status documented, every body and header as the document says. The
async capture routes are in it, and so is the `Idempotency-Key` header: its replays and its conflicts are
sent on purpose and checked against the document too, and so is a real 500 with its `X-Request-Id` header.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, example, given, settings
from tests.support.api import ASYNC_CAPTURE, CAPTURE, METRICS, STATUS, capture, capture_body, final_status, submit
from tests.support.faults import table_missing
from tests.support.openapi import (
    CHECKS,
    COMMITTED_DOCUMENT,
    DOCUMENTED,
    call_as_documented,
    committed_schema,
    served_schema,
)
from tests.support.server import RunningServer, start_server

from leadcapture.core.schema import DEFAULT_SCHEMA
from leadcapture.entrypoints.openapi import OPENAPI_PATH, openapi_json

EXAMPLES_PER_OPERATION = 40
ACTIVITY_CREATE = "/v2/ProspectActivity.svc/Create"


def test_served_document_is_the_committed_one(server: RunningServer) -> None:
    """docs/openapi.json is exactly what the server serves (`make openapi` regenerates it)."""
    served = httpx.get(f"{server.base_url}{OPENAPI_PATH}", timeout=30)
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/json")
    assert served.json() == json.loads(COMMITTED_DOCUMENT.read_bytes())
    assert COMMITTED_DOCUMENT.read_bytes() == openapi_json(DEFAULT_SCHEMA)


def test_document_names_every_route_the_server_answers(server: RunningServer) -> None:
    """Every documented path answers something other than the framework's 404 (no stale paths)."""
    document = httpx.get(f"{server.base_url}{OPENAPI_PATH}", timeout=30).json()
    for path, operations in document["paths"].items():
        for method in operations:
            answer = httpx.request(method.upper(), f"{server.base_url}{path}", timeout=30)
            assert answer.status_code != 404, (method, path)


def _operations(server: RunningServer) -> list[Any]:
    return [result.ok() for result in served_schema(server).get_all_operations()]


def _run_generated_cases(operation: Any, keys: dict[str, str], explicit: Sequence[Any] = ()) -> set[int]:
    """Send the operation's `explicit` and generated cases with valid keys, validating each answer; the statuses."""
    seen: set[int] = set()

    def answers_as_documented(case: Any) -> None:
        seen.add(case.call_and_validate(headers=keys, checks=CHECKS).status_code)

    for case in explicit:
        answers_as_documented = example(case=case)(answers_as_documented)
    given(case=operation.as_strategy())(
        settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )(answers_as_documented),
    )()
    return seen


def test_generated_requests_get_documented_answers_and_never_a_5xx(server: RunningServer) -> None:
    """Requests generated from the served document (with valid keys) get documented, well-formed answers."""
    operations = _operations(server)
    # the twenty LeadSquared routes, the three async capture routes and /health
    assert len(operations) == 24
    with server.client() as client:
        accepted = submit(client, EmailAddress="status-example@example.com")
        lead = client.post(CAPTURE, json=[{"Attribute": "FirstName", "Value": "Ann"}]).json()["Message"]["Id"]
        visitor = client.post("/v2/WebTracking.svc/Visit", json={"PageURL": "https://a.example/"}).json()["Message"][
            "Id"
        ]

    # A generated id names no request, lead or visitor (a 404 or 400), and generated attribute names are rarely
    # fields: these cases name what the server has, with a body every write takes.
    city = [{"Attribute": "City", "Value": "Oslo"}]
    fresh = [{"Attribute": "EmailAddress", "Value": "generated-fresh@example.com"}]
    named: dict[str, tuple[dict[str, str] | None, object]] = {
        STATUS: ({"RequestId": accepted}, None),
        "/v2/LeadManagement.svc/Lead.Update": ({"leadId": lead}, city),
        "/v2/LeadManagement.svc/Lead.Convert": ({"leadId": visitor}, city),
        "/v2/LeadManagement.svc/Lead.Create": (None, city),
        "/v2/LeadManagement.svc/Lead.CreateOrUpdate": (None, fresh),
        "/v2/LeadManagement.svc/Lead/Bulk/Create": (None, [city]),
        "/v2/LeadManagement.svc/Lead/Bulk/CreateOrUpdate": (None, [fresh]),
        # A generated event code names no type and a generated RelatedProspectId no lead (both 400, R-L8):
        # this post names a built-in type and an email, whose lead it captures.
        ACTIVITY_CREATE: (None, {"EmailAddress": "openapi-activity@example.com", "ActivityEvent": 23}),
    }
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        explicit = []
        if operation.path in named:
            query, body = named[operation.path]
            explicit = [operation.Case(query=query, body=body, media_type="application/json")]
        statuses[operation.label] = _run_generated_cases(operation, server.header_keys, explicit)

    # Generation reached every operation's success answer, not only its error answers.
    assert [label for label, seen in statuses.items() if 200 not in seen] == [], sorted(statuses.items())


def test_R_Q5_idempotent_replays_and_key_conflicts_are_answered_as_documented(server: RunningServer) -> None:
    """On both capture routes a replay (with `Idempotency-Replayed`) and a reused key's 400 match the document."""
    schema = served_schema(server)
    for path, method in ((CAPTURE, "POST"), (ASYNC_CAPTURE, "POST")):
        key = {"Idempotency-Key": f"openapi-{path}"}
        body = [{"Attribute": "EmailAddress", "Value": "openapi-replay@example.com"}]
        other = [*body, {"Attribute": "FirstName", "Value": "Other"}]
        parts = {"headers": key, "media_type": "application/json"}

        first = call_as_documented(schema, server, method, path, body=body, **parts)
        replay = call_as_documented(schema, server, method, path, body=body, **parts)
        conflict = call_as_documented(schema, server, method, path, body=other, **parts)

        assert first.status_code == replay.status_code == 200, (path, first.text)
        assert "idempotency-replayed" not in first.headers
        assert replay.headers["idempotency-replayed"] == ["true"]
        assert replay.content == first.content
        assert conflict.status_code == 400
        assert key["Idempotency-Key"] in conflict.json()["ExceptionMessage"]


def test_R_Q2_status_of_each_outcome_is_answered_as_documented(server: RunningServer) -> None:
    """A request applied with Success and one ended as FAILURE report their recorded answers as documented."""
    schema = served_schema(server)
    with server.client() as client:
        applied = submit(client, EmailAddress="openapi-outcome@example.com")
        refused = submit(client, EmailAddress="not-an-email")
        assert final_status(client, applied)["TaskStatus"]["Status"] == "Success"
        assert final_status(client, refused)["TaskStatus"]["Status"] == "FAILURE"

    success = call_as_documented(schema, server, "GET", STATUS, query={"RequestId": applied})
    failure = call_as_documented(schema, server, "GET", STATUS, query={"RequestId": refused})
    unknown = call_as_documented(schema, server, "GET", STATUS, query={"RequestId": "no-such-request"})
    metrics = call_as_documented(schema, server, "GET", METRICS)

    assert success.status_code == failure.status_code == 200
    assert success.json()["Message"]["Status"] == "Success"
    assert failure.json()["Message"]["ExceptionType"] == "MXInvalidInputException"
    assert unknown.status_code == 404
    assert metrics.status_code == 200


def _compact(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def test_R_Q1_R_Q2_R_Q6_async_answers_keep_their_wire_form(server: RunningServer) -> None:
    """The async routes' answers, now encoded from wire types, are byte for byte the spec's shapes in its order."""
    with server.client() as client:
        answer = client.post(ASYNC_CAPTURE, content=capture_body(EmailAddress="openapi-wire@example.com"))
        request_id = answer.json()["RequestID"]
        applied = final_status(client, request_id)["Message"]["Message"]
        status = client.get(STATUS, params={"RequestId": request_id})
        metrics = client.get(METRICS)

    assert answer.content == _compact(
        {"Status": "Request accepted. Please use below request id to check the status", "RequestID": request_id},
    )
    assert status.content == _compact(
        {
            "RequestId": request_id,
            "TaskStatus": {"TaskType": "Lead Capture", "Status": "Success", "StatusReason": None},
            "Message": {
                "Status": "Success",
                "Message": {"Id": applied["Id"], "RelatedId": applied["RelatedId"], "IsCreated": True},
            },
        },
    )
    figures = metrics.json()
    assert metrics.content == _compact(
        {
            "PendingMessages": figures["PendingMessages"],
            "MaxDelayInSeconds": figures["MaxDelayInSeconds"],
            "ProcessingRatePerMinute": figures["ProcessingRatePerMinute"],
        },
    )


def test_H2_every_documented_500_declares_its_request_id_header() -> None:
    """In docs/openapi.json each operation's 500 answer names the `X-Request-Id` header, as required."""
    document = json.loads(COMMITTED_DOCUMENT.read_bytes())
    operations = [operation for methods in document["paths"].values() for operation in methods.values()]
    faults = [operation["responses"]["500"] for operation in operations if "500" in operation["responses"]]
    assert len(faults) == len(operations)
    assert all(fault["headers"]["X-Request-Id"]["required"] is True for fault in faults)


def test_H2_a_server_fault_answers_500_with_its_request_id_as_documented(tmp_path: Path) -> None:
    """A capture that meets a fault of the database (a table gone) answers a 500 as the document says: the
    envelope, no internals, and an `X-Request-Id` header naming the id that the message and the log carry.
    """
    server = start_server(tmp_path)
    try:
        with table_missing(server.database_file, "activities"):
            fault = call_as_documented(
                committed_schema(),
                server,
                "POST",
                CAPTURE,
                checks=DOCUMENTED,
                body=[{"Attribute": "EmailAddress", "Value": "fault@example.com"}],
                media_type="application/json",
            )
        repaired = capture(server, capture_body(EmailAddress="fault@example.com"))
        log = server.log.read_text()
    finally:
        server.stop()

    assert fault.status_code == 500
    [request_id] = fault.headers["x-request-id"]
    envelope = fault.json()
    assert envelope["ExceptionType"] == "MXInternalServerErrorException"
    assert envelope["ExceptionMessage"] == f"The API call failed because of a server fault. Request id: {request_id}"
    assert f"request {request_id} failed" in log
    assert "no such table: activities" in log
    assert repaired.status_code == 200
    assert repaired.json()["Message"]["IsCreated"] is True
