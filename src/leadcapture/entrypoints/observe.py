"""Watching every request from outside the app: its request id, its access line and its metrics.

`observe_requests` wraps the whole ASGI app, the framework's routing and error handling included, so that
the answers the router itself gives (an unknown path's 404, a 405) carry an `X-Request-Id` and are logged
and counted like every other.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from leadcapture.entrypoints.logs import (
    UNMATCHED_ROUTE,
    RequestNote,
    begin_request,
    end_request,
    log_access,
    request_id_from,
)

if TYPE_CHECKING:
    from leadcapture.entrypoints.metrics import ServerMetrics

_REQUEST_ID_HEADER = b"x-request-id"


def observe_requests(app: ASGIApp, metrics: ServerMetrics | None) -> ASGIApp:
    """`app`, with each HTTP request given a request id (echoed in `X-Request-Id`), logged, and counted."""

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        http_scope: HTTPScope = scope
        note = RequestNote(
            request_id=request_id_from(http_scope["headers"]),
            method=http_scope["method"],
            path=http_scope["path"],
        )
        header = (_REQUEST_ID_HEADER, note.request_id.encode())
        status = 500
        started = time.perf_counter()
        token = begin_request(note)
        if metrics is not None:
            metrics.requests_in_progress.inc()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [item for item in message.get("headers", ()) if item[0].lower() != _REQUEST_ID_HEADER]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            # The router writes the matched route's template into the scope; a miss leaves none.
            note.route = str(scope.get("path_template") or UNMATCHED_ROUTE)
            log_access(note, status, seconds)
            if metrics is not None:
                metrics.requests_in_progress.dec()
                metrics.request_finished(note, status, seconds)
            end_request(token)

    return observed
