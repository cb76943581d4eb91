"""The HTTP app: LeadSquared's lead API over the engine, in LeadSquared's wire format, assembled from a module
per resource (captures, lookups, lead queries and writes, authentication, visits, the tracker, async capture).

Every error the app can answer, the framework's own 404/405/413/500 included, uses LeadSquared's envelope
`{"Status":"Error","ExceptionType":...,"ExceptionMessage":...}` (R-H2). A 500 never carries internals: it
is logged with a request id that the body also carries.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import anyio.to_thread
import msgspec
from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from leadcapture.adapters.inbox import SQLInbox
from leadcapture.core.problems import invalid_input
from leadcapture.core.request import RawAttribute
from leadcapture.entrypoints.activities import ACTIVITY_ROUTES
from leadcapture.entrypoints.async_capture import ASYNC_ROUTES, InboxAcceptor
from leadcapture.entrypoints.authentication import AUTHENTICATION_ROUTES, public_host
from leadcapture.entrypoints.captures import CAPTURE_ROUTES
from leadcapture.entrypoints.cors import cors_middleware
from leadcapture.entrypoints.gate import (
    BULK_RATE_LIMIT,
    SITE_RATE_LIMIT,
    Gate,
)
from leadcapture.entrypoints.group_commit import GroupCommitWriter
from leadcapture.entrypoints.lead_queries import LEAD_QUERY_ROUTES
from leadcapture.entrypoints.lead_writes import LEAD_WRITE_ROUTES
from leadcapture.entrypoints.lookups import LOOKUP_ROUTES
from leadcapture.entrypoints.metrics import ServerMetrics, metrics_route
from leadcapture.entrypoints.observe import observe_requests
from leadcapture.entrypoints.openapi import OPENAPI_PATH, openapi_json
from leadcapture.entrypoints.ratelimit import RateLimit, RateLimiter
from leadcapture.entrypoints.tracker import TRACKER_ROUTES
from leadcapture.entrypoints.visits import VISIT_ROUTES
from leadcapture.entrypoints.web import (
    MAX_BODY_BYTES,
    ApiError,
    encode_json,
    engine_of,
    json_answer,
    on_api_error,
    on_http_error,
    on_server_error,
)
from leadcapture.ports import KeyStore
from leadcapture.service import Engine
from leadcapture.wire.leadsquared import (
    CaptureMessage,
    HealthAnswer,
    SuccessEnvelope,
)

log = logging.getLogger("leadcapture.http")

_BASELINE_BODY: Final = msgspec.json.Decoder(list[RawAttribute])
_BASELINE_ANSWER: Final = encode_json(
    SuccessEnvelope(
        status="Success",
        message=CaptureMessage(id="00000000-0000-0000-0000-000000000000", related_id="", is_created=True),
    ),
)


@post("/bench/baseline", status_code=200, include_in_schema=False)
async def baseline(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The least a capture route does: decode the body, answer a fixed success (`make bench` only)."""
    try:
        _BASELINE_BODY.decode(await request.body())
    except msgspec.DecodeError as exc:
        raise ApiError(invalid_input(f"Invalid request body: {exc}", rule="R-V1")) from exc
    return Response(_BASELINE_ANSWER, media_type=MediaType.JSON)


@get(OPENAPI_PATH)
async def openapi(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenAPI document of this app (no keys needed)."""
    document: bytes = request.app.state.openapi
    return Response(document, media_type=MediaType.JSON)


@get("/health")
async def health(request: Request[Any, Any, Any]) -> Response[bytes]:
    """200 once the database answers."""
    await anyio.to_thread.run_sync(engine_of(request).store.get_lead, "00000000-0000-0000-0000-000000000000")
    return json_answer(HealthAnswer(status="Success"))


def create_app(  # noqa: PLR0913 - keyword-only settings of the app
    *,
    engine: Engine,
    keys: KeyStore,
    rate_limit: RateLimit | None = None,
    site_rate_limit: RateLimit = SITE_RATE_LIMIT,
    bulk_rate_limit: RateLimit = BULK_RATE_LIMIT,
    limiter_storage: str = "memory://",
    group_commit: bool = True,
    baseline_route: bool = False,
    inbox: SQLInbox | None = None,
    public_url: str | None = None,
    metrics: ServerMetrics | None = None,
    metrics_route_served: bool = True,
) -> Litestar:
    """The Litestar app serving `engine`, authenticating callers with `keys`.

    `group_commit` applies concurrent captures together, one commit for many (adr/0033); `baseline_route`
    adds `POST /bench/baseline`, which only decodes a capture body and answers a fixed body, for `make bench`.
    With an `inbox` (in the engine's own database) it also serves async capture: `/lead/capture`,
    `/lead/status` and `/lead/capture/metrics`. `public_url` is the address clients reach the server at,
    which `UserByAccessKey.Get` tells them to call (R-L9); without it, each request's own Host. Every
    request is logged and given an `X-Request-Id`; with `metrics` it is counted too, and `GET /metrics`
    serves them unless `metrics_route_served` is false (they are served on a port of their own).
    """

    writer = GroupCommitWriter(engine, metrics=metrics) if group_commit else None
    gate = Gate(
        keys,
        RateLimiter(rate_limit or RateLimit(amount=25, seconds=5), storage_uri=limiter_storage),
        RateLimiter(site_rate_limit, storage_uri=limiter_storage, namespace="site-ip"),
        RateLimiter(bulk_rate_limit, storage_uri=limiter_storage, namespace="bulk"),
    )
    app = Litestar(
        route_handlers=[
            *(ASYNC_ROUTES if inbox is not None else ()),
            *TRACKER_ROUTES,
            *CAPTURE_ROUTES,
            *LOOKUP_ROUTES,
            *LEAD_QUERY_ROUTES,
            *LEAD_WRITE_ROUTES,
            *ACTIVITY_ROUTES,
            *AUTHENTICATION_ROUTES,
            *VISIT_ROUTES,
            health,
            openapi,
            *([baseline] if baseline_route else []),
            *([metrics_route] if metrics is not None and metrics_route_served else []),
        ],
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error, Exception: on_server_error},
        request_max_body_size=MAX_BODY_BYTES,
        middleware=[cors_middleware],
        state=State(
            {
                "engine": engine,
                "gate": gate,
                "writer": writer,
                "openapi": openapi_json(engine.schema, async_capture=inbox is not None),
                "inbox": inbox,
                "public_host": public_host(public_url) if public_url else None,
                "acceptor": InboxAcceptor(engine, inbox, metrics=metrics) if inbox is not None else None,
                "metrics": metrics,
            },
        ),
        on_startup=[writer.start] if writer is not None else [],
        on_shutdown=[writer.stop] if writer is not None else [],
        openapi_config=None,  # the document is generated from the wire types: see leadcapture.entrypoints.openapi
        debug=False,
    )
    # Outside the router and its error handling, so that the router's own 404s and 405s are observed too.
    app.asgi_handler = observe_requests(app.asgi_handler, metrics)
    return app
