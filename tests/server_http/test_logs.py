"""Request ids and log lines of a real server: `X-Request-Id` on every answer, shared by its log lines, in text
or one JSON object per line (issue 16, adr/0043).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from tests.support.api import CAPTURE, capture, capture_body
from tests.support.faults import table_missing
from tests.support.server import RunningServer, start_server

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def _json_lines(server: RunningServer) -> list[dict[str, Any]]:
    """Every log line of the server, parsed; the first key's banner (printed, not logged) left out."""
    lines = server.log.read_text().splitlines()
    banner = ("Created a first API key", "  AccessKey: ", "  SecretKey: ")
    return [json.loads(line) for line in lines if line and not line.startswith(banner)]


def _access_lines(lines: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("request_id") == request_id and line["logger"] == "leadcapture.access"]


def test_json_log_has_one_object_per_line_and_the_access_line_holds_the_request(tmp_path: Path) -> None:
    """`--log-format json`: every line (uvicorn's own too) is a JSON object; a capture's access line has its
    time, level, request id, route, status, duration, key name, outcome and rule, and no lead data or secret.
    """
    server = start_server(tmp_path, "--log-format", "json")
    try:
        with server.client() as client:
            created = client.post(
                CAPTURE,
                content=capture_body(EmailAddress="ada@example.com"),
                headers={"X-Request-Id": "form-7731/try-2"},
            )
            rejected = client.post(CAPTURE, content=capture_body(EmailAddress="ada@example.com", Colour="blue"))
    finally:
        server.stop()
    lines = _json_lines(server)

    assert created.headers["x-request-id"] == "form-7731/try-2"
    [access] = _access_lines(lines, "form-7731/try-2")
    assert set(access) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "method",
        "path",
        "route",
        "status",
        "duration_ms",
        "key",
        "outcome",
        "rule",
    }
    assert (access["level"], access["method"], access["path"], access["route"]) == ("INFO", "POST", CAPTURE, CAPTURE)
    assert (access["status"], access["key"], access["outcome"], access["rule"]) == (200, "first key", "Created", "R-M9")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", access["time"])
    assert isinstance(access["duration_ms"], float)
    assert access["duration_ms"] >= 0
    rejected_id = rejected.headers["x-request-id"]
    assert GENERATED_ID.fullmatch(rejected_id)
    [refusal] = _access_lines(lines, rejected_id)
    assert (refusal["status"], refusal["outcome"], refusal["rule"]) == (400, "Rejected", "R-V2")
    assert refusal["exception_type"] == "MXUnknownAttributeException"
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    logged = json.dumps(lines)  # the log lines, without the banner that printed the first key once
    for private in ("ada@example.com", "Colour", server.secret_key):
        assert private not in logged


def test_a_server_fault_logs_its_details_under_the_answer_s_request_id(tmp_path: Path) -> None:
    """A 500's error line (with the traceback) and its access line carry the id its answer and message carry,
    the caller's own id when it sent one.
    """
    server = start_server(tmp_path, "--log-format", "json")
    try:
        with table_missing(server.database_file, "activities"), server.client() as client:
            fault = client.post(
                CAPTURE, content=capture_body(EmailAddress="fault@example.com"), headers={"X-Request-Id": "trace-42"}
            )
    finally:
        server.stop()
    lines = _json_lines(server)

    assert fault.status_code == 500
    assert fault.headers["x-request-id"] == "trace-42"
    assert fault.json()["ExceptionMessage"].endswith("Request id: trace-42")
    shared = [line for line in lines if line.get("request_id") == "trace-42"]
    assert [(line["logger"], line["level"]) for line in shared] == [
        ("leadcapture.http", "ERROR"),
        ("leadcapture.access", "INFO"),
    ]
    assert "no such table: activities" in shared[0]["exception"]
    assert (shared[1]["status"], shared[1]["exception_type"]) == (500, "MXInternalServerErrorException")


def test_every_answer_carries_a_request_id_in_the_text_log_too(tmp_path: Path) -> None:
    """The default text format: each answer, the router's own 404 and 405 included, has an `X-Request-Id`
    that ends its access line; an id the caller sends that is unusable (a space, too long) is replaced.
    """
    server = start_server(tmp_path)
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            answers = [
                client.get("/health"),
                client.get("/no/such/route"),
                client.delete("/health"),
                client.get("/health", headers={"X-Request-Id": "two words"}),
                client.get("/health", headers={"X-Request-Id": "x" * 129}),
                client.get("/health", headers={"X-Request-Id": "x" * 128}),
            ]
        unauthorised = capture(server, capture_body(EmailAddress="a@example.com"), secretKey="wrong")
    finally:
        server.stop()
    log = server.log.read_text()

    assert [answer.status_code for answer in answers] == [200, 404, 405, 200, 200, 200]
    ids = [answer.headers["x-request-id"] for answer in [*answers, unauthorised]]
    assert all(GENERATED_ID.fullmatch(request_id) for request_id in ids[:5] + ids[6:])
    assert ids[5] == "x" * 128
    assert len(set(ids)) == len(ids)
    for answer in [*answers, unauthorised]:
        method, path, status = answer.request.method, answer.request.url.path, answer.status_code
        request_id = re.escape(answer.headers["x-request-id"])
        line = rf" INFO leadcapture.access {method} {re.escape(path)} {status} [\d.]+ms key=- request_id={request_id}$"
        assert len(re.findall(line, log, re.MULTILINE)) == 1, line
