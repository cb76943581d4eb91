"""What every route of the HTTP app shares: LeadSquared's error envelope, JSON answers, query names, bodies.

Every error the app can answer, the framework's own 404/405/413/500 included, uses LeadSquared's envelope
`{"Status":"Error","ExceptionType":...,"ExceptionMessage":...}` (R-H2). A 500 never carries internals: it
is logged with a request id that the body also carries.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Final

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from returns.result import Failure, Result

from leadcapture.core.names import ExceptionType
from leadcapture.core.problems import Problem, invalid_input
from leadcapture.entrypoints.logs import current_request, new_request_id, note_problem
from leadcapture.service import Engine, IdempotentAnswer
from leadcapture.wire.leadsquared import (
    error_envelope,
)

log = logging.getLogger("leadcapture.http")

BASE: Final = "/v2/LeadManagement.svc"
MAX_BODY_BYTES: Final = 1024 * 1024
encode_json = msgspec.json.Encoder().encode
"""JSON bytes of an answer body, with one encoder shared by every route."""


class ApiError(Exception):
    """An answer in LeadSquared's error envelope, raised from inside a handler."""

    def __init__(self, problem: Problem, *, headers: Mapping[str, str] | None = None) -> None:
        """Answer `problem` with its status."""
        super().__init__(problem.message)
        self.problem = problem
        self.headers = dict(headers or {})


def json_answer(body: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response[bytes]:
    return Response(encode_json(body), status_code=status, media_type=MediaType.JSON, headers=dict(headers or {}))


def error_answer(problem: Problem, headers: Mapping[str, str] | None = None) -> Response[bytes]:
    note_problem(problem)
    return json_answer(error_envelope(problem), problem.status, headers)


_FRAMEWORK_ERRORS: Final = {
    404: (ExceptionType.NOT_FOUND, "The API could not be found. Please check the API signature."),
    405: (ExceptionType.NOT_FOUND, "The API does not accept this HTTP method. Please check the API signature."),
    413: (ExceptionType.INVALID_INPUT, "Request body is larger than 1 MiB"),
}


def _problem_for_status(status: int, detail: str) -> Problem:
    exception_type, message = _FRAMEWORK_ERRORS.get(status, (ExceptionType.INVALID_INPUT, detail or "Bad request"))
    return Problem(exception_type=exception_type, message=message, status=status, rule="R-H2")


def on_api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    return error_answer(exc.problem, exc.headers)


def on_http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if exc.status_code >= 500:  # noqa: PLR2004 - the server-fault range
        return on_server_error(_, exc)
    return error_answer(_problem_for_status(exc.status_code, exc.detail), exc.headers)


def on_server_error(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    note = current_request()
    request_id = note.request_id if note is not None else new_request_id()
    log.error("request %s failed", request_id, exc_info=exc)
    problem = Problem(
        exception_type=ExceptionType.SERVER_ERROR,
        message=f"The API call failed because of a server fault. Request id: {request_id}",
        status=500,
        rule="R-H2",
    )
    return error_answer(problem)  # observe_requests gives every answer its X-Request-Id


def header_of(request: Request[Any, Any, Any], name: bytes) -> str | None:
    """The first value of the header `name` (given in lower case), read straight from the ASGI scope.

    A capture reads a few headers; building the framework's case-insensitive header map for them cost more
    CPU than the look-ups themselves (profiled under load).
    """
    for key, value in request.scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def query_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Query parameters by case-folded name (LeadSquared's names are case-insensitive)."""
    return {name.casefold(): value for name, value in request.query_params.items()}


_JSON_MEDIA_TYPE: Final = re.compile(r"application/(?:[\w.+-]+\+)?json", re.IGNORECASE)


async def json_body(request: Request[Any, Any, Any], *, rule: str = "R-V1") -> bytes:
    """The request's body, once its Content-Type says JSON (R-V1); raises ApiError 400 when it says otherwise.

    `application/json` with or without parameters (`; charset=utf-8`) and `application/*+json` are JSON. A
    request that names no Content-Type at all is read as JSON, as LeadSquared's own clients and plain
    HTTP libraries sending a raw body expect (adr/0046).
    """
    content_type = header_of(request, b"content-type")
    if content_type is not None and not _JSON_MEDIA_TYPE.fullmatch(content_type.split(";", 1)[0].strip()):
        media_type = content_type.split(";", 1)[0].strip() or "(empty)"
        message = f"Content-Type must be application/json, not {media_type}"
        raise ApiError(invalid_input(message, rule=rule))
    return await request.body()


def engine_of(request: Request[Any, Any, Any]) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def idempotent_response(answered: Result[IdempotentAnswer, Problem]) -> Response[bytes]:
    """The recorded or fresh answer (`Idempotency-Replayed: true` on a replay), or the key's problem."""
    if isinstance(answered, Failure):
        return error_answer(answered.failure())
    answer = answered.unwrap()
    headers = {"Idempotency-Replayed": "true"} if answer.replayed else {}
    return Response(answer.body, status_code=answer.status, media_type=MediaType.JSON, headers=headers)
