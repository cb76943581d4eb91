"""CORS for site keys (R-K3): a page may call the API only from an origin its site key lists.

Nothing is allowed by default. A preflight (`OPTIONS`) is answered for a listed origin only; an answer to
a request admitted with a site key carries `Access-Control-Allow-Origin` for that request's origin, so the
page can read it (its error envelope included). Requests with secret keys never get CORS headers: secrets
do not belong in pages.
"""

from __future__ import annotations

import contextvars
from typing import Final

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

PREFLIGHT_MAX_AGE_SECONDS: Final = 600

_allowed_origin: contextvars.ContextVar[list[str | None]] = contextvars.ContextVar("leadcapture_cors_origin")


def allow_origin(origin: str) -> None:
    """Let the page at `origin` read the answer to the request being handled (its site key lists `origin`)."""
    _allowed_origin.get([None])[0] = origin


def preflight_headers(origin: str) -> dict[str, str]:
    """The answer to a preflight from a listed origin: POST with a JSON body, cached by the browser."""
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
        "Vary": "Origin",
    }


def cors_middleware(app: ASGIApp) -> ASGIApp:
    """Add `Access-Control-Allow-Origin` to an answer whose request a listed site-key origin made."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        holder: list[str | None] = [None]
        _allowed_origin.set(holder)

        async def send_with_cors(message: Message) -> None:
            origin = holder[0]
            if message["type"] == "http.response.start" and origin is not None:
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"access-control-allow-origin", origin.encode()),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await app(scope, receive, send_with_cors)

    return middleware
