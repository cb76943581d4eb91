"""Watching every request from outside the app: its request id, its access line and its metrics.

`observe_requests` wraps the whole ASGI app, the framework's routing and error handling included, so that
the answers the router itself gives (an unknown path's 404, a 405) carry an `X-Request-Id` and are logged
and counted like every other.

It also answers for a request that a stopping server cut off at its `--shutdown-timeout` (adr/0044): a 503
`MXServerBusyException` when the request's body had not all arrived, so nothing of it can have been written
and the caller may send it again (clients retry a 503, adr/0037); a 500 with its request id when the body
had arrived, since its capture may have been queued for a commit that the shutdown still makes.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

import msgspec
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from leadcapture.core.names import ExceptionType
from leadcapture.core.problems import Problem
from leadcapture.entrypoints.logs import (
    UNMATCHED_ROUTE,
    RequestNote,
    begin_request,
    end_request,
    log_access,
    note_problem,
    request_id_from,
)
from leadcapture.wire.leadsquared import error_envelope

if TYPE_CHECKING:
    from leadcapture.entrypoints.metrics import ServerMetrics

_REQUEST_ID_HEADER: Final = b"x-request-id"
RETRY_AFTER_SECONDS: Final = 1
"""When a request cut off by a stopping server may be sent again: at once, to another server or this one restarted."""
_encode = msgspec.json.Encoder().encode


def cut_off_problem(request_id: str, *, body_received: bool) -> Problem:
    """The answer to a request the server stopped handling at its shutdown bound."""
    if not body_received:
        return Problem(
            exception_type=ExceptionType.BUSY,
            message="The server is stopping and did not receive the whole request; nothing was written. Send it again.",
            status=503,
            rule="R-H2",
        )
    return Problem(
        exception_type=ExceptionType.SERVER_ERROR,
        message=f"The API call failed because of a server fault. Request id: {request_id}",
        status=500,
        rule="R-H2",
    )


class _ObservedExchange:
    """One request's exchange with the app: what has been received and answered so far."""

    def __init__(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        self.note = RequestNote(
            request_id=request_id_from(scope["headers"]),
            method=scope["method"],
            path=scope["path"],
        )
        self.status = 500
        self.response_started = False
        self.body_received = False
        self._receive = receive
        self._send = send
        self._header = (_REQUEST_ID_HEADER, self.note.request_id.encode())

    async def receive(self) -> ReceiveMessage:
        message = await self._receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            self.body_received = True
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_started = True
            headers = [item for item in message.get("headers", ()) if item[0].lower() != _REQUEST_ID_HEADER]
            message = {**message, "headers": [*headers, self._header]}
        await self._send(message)

    async def answer_cut_off(self) -> None:
        """Answer a request the server's shutdown bound cancelled before it answered."""
        problem = cut_off_problem(self.note.request_id, body_received=self.body_received)
        note_problem(problem)
        content = _encode(error_envelope(problem))
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
            (b"connection", b"close"),
        ]
        if problem.exception_type is ExceptionType.BUSY:
            headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
        start: HTTPResponseStartEvent = {"type": "http.response.start", "status": problem.status, "headers": headers}
        body: HTTPResponseBodyEvent = {"type": "http.response.body", "body": content, "more_body": False}
        await self.send(start)
        await self.send(body)


def observe_requests(app: ASGIApp, metrics: ServerMetrics | None) -> ASGIApp:
    """`app`, with each HTTP request given a request id (echoed in `X-Request-Id`), logged, and counted."""

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        exchange = _ObservedExchange(scope, receive, send)
        note = exchange.note
        started = time.perf_counter()
        token = begin_request(note)
        if metrics is not None:
            metrics.requests_in_progress.inc()
        try:
            await app(scope, exchange.receive, exchange.send)
        except asyncio.CancelledError:
            if exchange.response_started:
                raise
            await exchange.answer_cut_off()  # and the request ends here, answered
        finally:
            seconds = time.perf_counter() - started
            # The router writes the matched route's template into the scope; a miss leaves none.
            note.route = str(scope.get("path_template") or UNMATCHED_ROUTE)
            log_access(note, exchange.status, seconds)
            if metrics is not None:
                metrics.requests_in_progress.dec()
                metrics.request_finished(note, exchange.status, seconds)
            end_request(token)

    return observed
