"""Answers of a running server checked against the OpenAPI document: the committed one or the one it serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.support.server import RunningServer

from leadcapture.entrypoints.openapi import OPENAPI_PATH

COMMITTED_DOCUMENT: Final = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
DOCUMENTED: Final = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
"""The answer's status, content type, headers and body are as the document says."""
CHECKS: Final = [not_a_server_error, *DOCUMENTED]
"""As `DOCUMENTED`, and never a 5xx."""


def committed_schema() -> Any:
    """docs/openapi.json, as schemathesis reads it."""
    return schemathesis.openapi.from_path(COMMITTED_DOCUMENT)


def served_schema(server: RunningServer) -> Any:
    """The document `server` serves, as schemathesis reads it."""
    return schemathesis.openapi.from_url(f"{server.base_url}{OPENAPI_PATH}")


def call_as_documented(
    schema: Any,
    server: RunningServer,
    method: str,
    path: str,
    *,
    checks: list[Any] = CHECKS,
    **parts: Any,
) -> Any:
    """Send `server` one request of `schema`'s operation, with the printed key, and check the answer against it.

    `parts` are the case's own (`query`, `headers`, `body`, `media_type`). The answer is schemathesis's
    response: header names in lower case, each with the list of its values.
    """
    case = schema[path][method].Case(**parts)
    return case.call_and_validate(base_url=server.base_url, headers=server.header_keys, checks=checks)
