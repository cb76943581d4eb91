"""`Authentication.svc/UserByAccessKey.Get` (R-L9): who a key belongs to, and which host to call next.

LeadSquared's clients call this first and then send every request to `https://{api}/v2/...`, with `api`
taken from the answer's `LSQCommonServiceURLs`. The server answers the host it is reached at: its
`--public-url` when set (behind a proxy, or serving TLS itself), else the request's own Host.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

from litestar import Request, Response, get

from leadcapture.entrypoints.gate import Access, admit
from leadcapture.entrypoints.web import json_answer
from leadcapture.keys import ALL_SCOPES, ApiKey
from leadcapture.queries import user_answer
from leadcapture.transports.base import USER_PATH
from leadcapture.wire.lead_queries import UserAnswer

ANY_KEY_ACCESS: Final = Access(needs=frozenset())
"""Any secret key may ask who it is; a site key may not (it is no user's, and it never reads)."""


def public_host(public_url: str) -> str:
    """The host (and port) part of `--public-url`, as LeadSquared's `api` values are written."""
    parts = urlsplit(public_url if "://" in public_url else f"https://{public_url}")
    if not parts.netloc or parts.scheme not in {"http", "https"}:
        msg = f"--public-url must look like https://leads.example.com, not {public_url!r}"
        raise ValueError(msg)
    return parts.netloc


def user_of(key: ApiKey, host: str) -> UserAnswer:
    """The user a key acts as: named after the key, its id fixed by the access key."""
    return user_answer(name=key.name, identity=key.access_key, administrator=key.scopes == ALL_SCOPES, host=host)


@get(USER_PATH)
async def user_by_access_key(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The calling key's user, with the host to call next (R-L9)."""
    key = await admit(request, ANY_KEY_ACCESS)
    configured: str | None = request.app.state.public_host
    host = configured or request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return json_answer(user_of(key, host))


AUTHENTICATION_ROUTES: Final = [user_by_access_key]
