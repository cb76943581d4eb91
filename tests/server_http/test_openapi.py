"""The served OpenAPI document: committed in docs/openapi.json, and what the real server answers keeps to it.

A schemathesis run generates requests for every operation from the document the server itself serves and
checks each answer: never a 5xx, every status documented, every body and header as the document says. The
async capture routes are in it, and so is the `Idempotency-Key` header: its replays and its conflicts are
sent on purpose and checked against the document too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.support.server import RunningServer

from leadcapture.core.schema import DEFAULT_SCHEMA
from leadcapture.entrypoints.openapi import OPENAPI_PATH, openapi_json

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
EXAMPLES_PER_OPERATION = 40
CAPTURE = "/v2/LeadManagement.svc/Lead.Capture"
ASYNC_CAPTURE = "/lead/capture"
STATUS = "/lead/status"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_served_document_is_the_committed_one(server: RunningServer) -> None:
    """docs/openapi.json is exactly what the server serves (`make openapi` regenerates it)."""
    served = httpx.get(f"{server.base_url}{OPENAPI_PATH}", timeout=30)
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/json")
    assert served.json() == json.loads(COMMITTED.read_bytes())
    assert COMMITTED.read_bytes() == openapi_json(DEFAULT_SCHEMA)


def test_document_names_every_route_the_server_answers(server: RunningServer) -> None:
    """Every documented path answers something other than the framework's 404 (no stale paths)."""
    document = httpx.get(f"{server.base_url}{OPENAPI_PATH}", timeout=30).json()
    for path, operations in document["paths"].items():
        for method in operations:
            answer = httpx.request(method.upper(), f"{server.base_url}{path}", timeout=30)
            assert answer.status_code != 404, (method, path)


def _schema(base_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{base_url}{OPENAPI_PATH}")


def _operations(base_url: str) -> list[Any]:
    return [result.ok() for result in _schema(base_url).get_all_operations()]


def _header_keys(server: RunningServer) -> dict[str, str]:
    return {"x-LSQ-AccessKey": server.access_key, "x-LSQ-SecretKey": server.secret_key}


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


def _accept(server: RunningServer, body: list[dict[str, str]]) -> str:
    """Queue `body` with async /lead/capture; its RequestID."""
    answer = httpx.post(f"{server.base_url}{ASYNC_CAPTURE}", params=server.keys, json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    request_id: str = answer.json()["RequestID"]
    return request_id


def test_generated_requests_get_documented_answers_and_never_a_5xx(server: RunningServer) -> None:
    """Requests generated from the served document (with valid keys) get documented, well-formed answers."""
    keys = _header_keys(server)
    operations = _operations(server.base_url)
    # the seven LeadSquared routes, the three async capture routes and /health
    assert len(operations) == 11
    accepted = _accept(server, [{"Attribute": "EmailAddress", "Value": "status-example@example.com"}])

    statuses: dict[str, set[int]] = {}
    for operation in operations:
        # A generated RequestId names no request (a 404); this one names a request the server accepted.
        explicit = [operation.Case(query={"RequestId": accepted})] if operation.path == STATUS else []
        statuses[operation.label] = _run_generated_cases(operation, keys, explicit)

    # Generation reached every operation's success answer, not only its error answers.
    assert all(200 in seen for seen in statuses.values()), statuses


def _call(schema: Any, method: str, path: str, keys: dict[str, str], **parts: Any) -> Any:
    """Send one request built from the served document's operation and validate the answer against it.

    The answer is schemathesis's response: header names in lower case, each with the list of its values.
    """
    case = schema[path][method].Case(**parts)
    return case.call_and_validate(headers=keys, checks=CHECKS)


def test_R_Q5_idempotent_replays_and_key_conflicts_are_answered_as_documented(server: RunningServer) -> None:
    """On both capture routes a replay (with `Idempotency-Replayed`) and a reused key's 400 match the document."""
    schema = _schema(server.base_url)
    keys = _header_keys(server)
    for path, method in ((CAPTURE, "POST"), (ASYNC_CAPTURE, "POST")):
        key = {"Idempotency-Key": f"openapi-{path}"}
        body = [{"Attribute": "EmailAddress", "Value": "openapi-replay@example.com"}]
        other = [*body, {"Attribute": "FirstName", "Value": "Other"}]

        first = _call(schema, method, path, keys, headers=key, body=body, media_type="application/json")
        replay = _call(schema, method, path, keys, headers=key, body=body, media_type="application/json")
        conflict = _call(schema, method, path, keys, headers=key, body=other, media_type="application/json")

        assert first.status_code == replay.status_code == 200, (path, first.text)
        assert "idempotency-replayed" not in first.headers
        assert replay.headers["idempotency-replayed"] == ["true"]
        assert replay.content == first.content
        assert conflict.status_code == 400
        assert key["Idempotency-Key"] in conflict.json()["ExceptionMessage"]


def _finished_status(server: RunningServer, request_id: str) -> dict[str, Any]:
    """The request's status once the server's worker has applied it (at most 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        answer = httpx.get(
            f"{server.base_url}{STATUS}", params={**server.keys, "RequestId": request_id}, timeout=30
        ).json()
        if answer["TaskStatus"]["Status"] != "In-Queue" or time.monotonic() > deadline:
            return dict(answer)
        time.sleep(0.1)


def test_R_Q2_status_of_each_outcome_is_answered_as_documented(server: RunningServer) -> None:
    """A request applied with Success and one ended as FAILURE report their recorded answers as documented."""
    schema = _schema(server.base_url)
    keys = _header_keys(server)
    applied = _accept(server, [{"Attribute": "EmailAddress", "Value": "openapi-outcome@example.com"}])
    refused = _accept(server, [{"Attribute": "EmailAddress", "Value": "not-an-email"}])
    assert _finished_status(server, applied)["TaskStatus"]["Status"] == "Success"
    assert _finished_status(server, refused)["TaskStatus"]["Status"] == "FAILURE"

    success = _call(schema, "GET", STATUS, keys, query={"RequestId": applied})
    failure = _call(schema, "GET", STATUS, keys, query={"RequestId": refused})
    unknown = _call(schema, "GET", STATUS, keys, query={"RequestId": "no-such-request"})
    metrics = _call(schema, "GET", "/lead/capture/metrics", keys)

    assert success.status_code == failure.status_code == 200
    assert success.json()["Message"]["Status"] == "Success"
    assert failure.json()["Message"]["ExceptionType"] == "MXInvalidInputException"
    assert unknown.status_code == 404
    assert metrics.status_code == 200


def _compact(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def test_R_Q1_R_Q2_R_Q6_async_answers_keep_their_wire_form(server: RunningServer) -> None:
    """The async routes' answers, now encoded from wire types, are byte for byte the spec's shapes in its order."""
    answer = httpx.post(
        f"{server.base_url}{ASYNC_CAPTURE}",
        params=server.keys,
        json=[{"Attribute": "EmailAddress", "Value": "openapi-wire@example.com"}],
        timeout=30,
    )
    request_id = answer.json()["RequestID"]
    applied = _finished_status(server, request_id)["Message"]["Message"]
    status = httpx.get(f"{server.base_url}{STATUS}", params={**server.keys, "RequestId": request_id}, timeout=30)
    metrics = httpx.get(f"{server.base_url}/lead/capture/metrics", params=server.keys, timeout=30)

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
