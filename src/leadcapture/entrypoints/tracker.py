"""`GET /tracker.js`: the browser tracker a website embeds (R-T1), served with no key.

The script is package data (`static/tracker.js`), read once at import. Its ETag is a hash of its bytes, so a
browser revalidating after `max-age` gets a 304 until the script itself changes (adr/0052).
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from typing import Any, Final

from litestar import Request, Response, get

TRACKER_SCRIPT: Final = files("leadcapture.entrypoints").joinpath("static/tracker.js").read_bytes()
"""The tracker's source, exactly as served."""

TRACKER_ETAG: Final = f'"{hashlib.sha256(TRACKER_SCRIPT).hexdigest()[:32]}"'
"""A strong validator of `TRACKER_SCRIPT`: the first 128 bits of its SHA-256, quoted as an entity tag."""

TRACKER_CACHE_CONTROL: Final = "public, max-age=300"
"""Browsers and shared caches reuse the script for five minutes, then revalidate it with its ETag."""

_JAVASCRIPT: Final = "application/javascript; charset=utf-8"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header names `etag` (or is `*`), comparing weakly as RFC 9110 asks.

    >>> etag_matches('W/"abc", "def"', '"abc"'), etag_matches('"abc"', '"abd"'), etag_matches(None, '"abc"')
    (True, False, False)
    """
    if if_none_match is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


@get("/tracker.js", include_in_schema=False)
async def tracker_script(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The tracker script, or 304 when the browser's copy (named by `If-None-Match`) is current."""
    headers = {"ETag": TRACKER_ETAG, "Cache-Control": TRACKER_CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), TRACKER_ETAG):
        return Response(b"", status_code=304, headers=headers)
    return Response(TRACKER_SCRIPT, media_type=_JAVASCRIPT, headers=headers)


TRACKER_ROUTES: Final[list[Any]] = [tracker_script]
"""The tracker's route handlers, for `create_app`."""
