"""The served OpenAPI document: committed in docs/openapi.json, and what the real server answers keeps to it.

A schemathesis run generates requests for every operation from the document the server itself serves and
checks each answer: never a 5xx, every status documented, every body and header as the document says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
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


def _operations(base_url: str) -> list[Any]:
    served = schemathesis.openapi.from_url(f"{base_url}{OPENAPI_PATH}")
    return [result.ok() for result in served.get_all_operations()]


def _run_generated_cases(operation: Any, keys: dict[str, str]) -> set[int]:
    """Send the operation's generated cases with valid keys, validating each answer; the statuses seen."""
    seen: set[int] = set()

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def answers_as_documented(case: Any) -> None:
        seen.add(case.call_and_validate(headers=keys, checks=CHECKS).status_code)

    answers_as_documented()
    return seen


def test_generated_requests_get_documented_answers_and_never_a_5xx(server: RunningServer) -> None:
    """Requests generated from the served document (with valid keys) get documented, well-formed answers."""
    keys = {"x-LSQ-AccessKey": server.access_key, "x-LSQ-SecretKey": server.secret_key}
    operations = _operations(server.base_url)
    assert len(operations) == 8  # the seven LeadSquared routes and /health

    statuses = {operation.label: _run_generated_cases(operation, keys) for operation in operations}

    # Generation reached every operation's success answer, not only its error answers.
    assert all(200 in seen for seen in statuses.values()), statuses
