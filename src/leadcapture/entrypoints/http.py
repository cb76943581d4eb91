"""The HTTP app: LeadSquared's `Lead.Capture` and look-ups over the engine, in LeadSquared's wire format.

Every error the app can answer, the framework's own 404/405/413/500 included, uses LeadSquared's envelope
`{"Status":"Error","ExceptionType":...,"ExceptionMessage":...}` (R-H2). A 500 never carries internals: it
is logged with a request id that the body also carries.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any, Final

import anyio.to_thread
import msgspec
from litestar import HttpMethod, Litestar, MediaType, Request, Response, get, post, route
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from returns.result import Failure, Result, Success

from leadcapture.adapters.inbox import SQLInbox
from leadcapture.core.decision import CaptureDecision, CaptureReceipt
from leadcapture.core.names import EMAIL, PHONE, DataType, ExceptionType, UpdateBehavior
from leadcapture.core.problems import Problem, invalid_input
from leadcapture.core.request import RawAttribute
from leadcapture.core.schema import FieldSpec
from leadcapture.core.values import match_key
from leadcapture.core.visits import VisitDecision, VisitedLead, decide_visit
from leadcapture.entrypoints.cors import allow_origin, cors_middleware, preflight_headers
from leadcapture.entrypoints.group_commit import GroupCommitWriter
from leadcapture.entrypoints.logs import current_request, note_capture, note_key, note_problem
from leadcapture.entrypoints.metrics import ServerMetrics, metrics_route
from leadcapture.entrypoints.observe import observe_requests
from leadcapture.entrypoints.openapi import OPENAPI_PATH, openapi_json
from leadcapture.entrypoints.ratelimit import RateLimit, RateLimiter
from leadcapture.entrypoints.tracker import TRACKER_ROUTES
from leadcapture.keys import ApiKey, parse_origin, secret_matches
from leadcapture.keys import Scope as KeyScope
from leadcapture.normalize import STANDARD_NORMALIZER
from leadcapture.ports import KeyStore
from leadcapture.service import Engine, IdempotentAnswer, StoredAnswer, answer_for
from leadcapture.wire.leadsquared import (
    ActivityPage,
    ActivityQuery,
    ActivityRecord,
    CaptureMessage,
    FieldMetadata,
    HealthAnswer,
    SuccessEnvelope,
    VisitAnswer,
    VisitBody,
    VisitMessage,
    capture_answer,
    error_envelope,
    flat_lead,
    preview_body,
    success_envelope,
)

log = logging.getLogger("leadcapture.http")

BASE: Final = "/v2/LeadManagement.svc"
VISIT_PATH: Final = "/v2/WebTracking.svc/Visit"
SITE_RATE_LIMIT: Final = RateLimit(amount=30, seconds=60)
"""Requests per client IP address with a site key (R-K3), besides the key's own limit."""
MAX_BODY_BYTES: Final = 1024 * 1024
_encode = msgspec.json.Encoder().encode


class ApiError(Exception):
    """An answer in LeadSquared's error envelope, raised from inside a handler."""

    def __init__(self, problem: Problem, *, headers: Mapping[str, str] | None = None) -> None:
        """Answer `problem` with its status."""
        super().__init__(problem.message)
        self.problem = problem
        self.headers = dict(headers or {})


def _json(body: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response[bytes]:
    return Response(_encode(body), status_code=status, media_type=MediaType.JSON, headers=dict(headers or {}))


def _error(problem: Problem, headers: Mapping[str, str] | None = None) -> Response[bytes]:
    note_problem(problem)
    return _json(error_envelope(problem), problem.status, headers)


_FRAMEWORK_ERRORS: Final = {
    404: (ExceptionType.NOT_FOUND, "The API could not be found. Please check the API signature."),
    405: (ExceptionType.NOT_FOUND, "The API does not accept this HTTP method. Please check the API signature."),
    413: (ExceptionType.INVALID_INPUT, "Request body is larger than 1 MiB"),
}


def _problem_for_status(status: int, detail: str) -> Problem:
    exception_type, message = _FRAMEWORK_ERRORS.get(status, (ExceptionType.INVALID_INPUT, detail or "Bad request"))
    return Problem(exception_type=exception_type, message=message, status=status, rule="R-H2")


def _on_api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    return _error(exc.problem, exc.headers)


def _on_http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if exc.status_code >= 500:  # noqa: PLR2004 - the server-fault range
        return _on_server_error(_, exc)
    return _error(_problem_for_status(exc.status_code, exc.detail), exc.headers)


def _on_server_error(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    note = current_request()
    request_id = note.request_id if note is not None else uuid.uuid4().hex
    log.error("request %s failed", request_id, exc_info=exc)
    problem = Problem(
        exception_type=ExceptionType.SERVER_ERROR,
        message=f"The API call failed because of a server fault. Request id: {request_id}",
        status=500,
        rule="R-H2",
    )
    return _error(problem)  # observe_requests gives every answer its X-Request-Id


def _header(request: Request[Any, Any, Any], name: bytes) -> str | None:
    """The first value of the header `name` (given in lower case), read straight from the ASGI scope.

    A capture reads a few headers; building the framework's case-insensitive header map for them cost more
    CPU than the look-ups themselves (profiled under load).
    """
    for key, value in request.scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _query(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Query parameters by case-folded name (LeadSquared's names are case-insensitive)."""
    return {name.casefold(): value for name, value in request.query_params.items()}


INVALID_ACCESS: Final = Problem(
    exception_type=ExceptionType.INVALID_ACCESS,
    message="Invalid Access Details provided.",
    status=401,
    rule="R-H3",
)


_RECENT_KEY_SECONDS: Final = 1.0
_RECENT_KEYS_KEPT: Final = 10_000


class Access(msgspec.Struct, frozen=True, kw_only=True):
    """What a route asks of the key that calls it (R-K2): the scopes it needs, and whether a site key may call."""

    needs: frozenset[KeyScope]
    site_keys: bool = False
    """Whether a site key (R-K3) may call the route: only captures and visits, never a read."""


CAPTURE_ACCESS: Final = Access(needs=frozenset({KeyScope.CAPTURE, KeyScope.ACTIVITY}), site_keys=True)
"""Lead.Capture: it writes a lead and posts an activity (a site key needs only `capture`)."""
ASYNC_CAPTURE_ACCESS: Final = Access(needs=frozenset({KeyScope.CAPTURE, KeyScope.ACTIVITY}))
READ_ACCESS: Final = Access(needs=frozenset({KeyScope.READ}))
VISIT_ACCESS: Final = Access(needs=frozenset({KeyScope.VISIT}), site_keys=True)
_SITE_KEYS_NEVER: Final = ("dryrun", "explain")
"""Query parameters that would show a site key's caller what is stored (R-K3)."""


def _unauthorized(message: str, rule: str = "R-K2") -> ApiError:
    return ApiError(Problem(exception_type=ExceptionType.UNAUTHORIZED, message=message, status=403, rule=rule))


class Gate:
    """Checks a request's keys (R-H3), their scopes and origins (R-K), and its caller's rate limits (R-H4)."""

    def __init__(self, keys: KeyStore, limiter: RateLimiter, site_limiter: RateLimiter | None = None) -> None:
        """Authenticate against `keys`, limit each key with `limiter` and each site visitor's IP with `site_limiter`."""
        self._keys = keys
        self._limiter = limiter
        self._site_limiter = site_limiter or RateLimiter(SITE_RATE_LIMIT, storage_uri="memory://")
        self._recent: dict[str, tuple[float, ApiKey]] = {}

    async def _find_key(self, access_key: str) -> ApiKey | None:
        """The key, from a one-second memory of keys just found, else from the key store (off the event loop).

        The key store has its own short cache, but reaching it costs a hop to a worker thread per request.
        """
        now = time.monotonic()
        recent = self._recent.get(access_key)
        if recent is not None and now - recent[0] < _RECENT_KEY_SECONDS:
            return recent[1]
        key = await anyio.to_thread.run_sync(self._keys.find_key, access_key)
        if key is not None:
            if len(self._recent) > _RECENT_KEYS_KEPT:
                self._recent.clear()
            self._recent[access_key] = (now, key)
        return key

    async def site_key_allows(self, access_key: str, origin: str) -> bool:
        """Whether `access_key` is a live site key listing `origin` (a CORS preflight's question)."""
        key = await self._find_key(access_key)
        return key is not None and key.site and key.revoked_on is None and _origin_listed(key, origin)

    async def admit(self, request: Request[Any, Any, Any], access: Access) -> ApiKey:
        """The caller's key; raises ApiError 401 for bad keys, 403 beyond the key's reach, 429 over a limit."""
        query = _query(request)
        access_key = query.get("accesskey") or _header(request, b"x-lsq-accesskey")
        secret = query.get("secretkey") or _header(request, b"x-lsq-secretkey")
        if not access_key:
            raise ApiError(INVALID_ACCESS)
        key = await self._find_key(access_key)
        if key is None or key.revoked_on is not None:
            raise ApiError(INVALID_ACCESS)
        if key.site:
            self._admit_site_key(request, key, access, query, secret=secret)
            await self._count(self._site_limiter, f"ip:{request.client.host if request.client else '-'}")
        else:
            if not secret or not secret_matches(key, secret):
                raise ApiError(INVALID_ACCESS)
            missing = access.needs - key.scopes
            if missing:
                raise _unauthorized(f"The key lacks the {_scope_names(missing)} this API needs")
        note_key(key.name)
        await self._count(self._limiter, key.access_key)
        return key

    def _admit_site_key(
        self, request: Request[Any, Any, Any], key: ApiKey, access: Access, query: dict[str, str], *, secret: str | None
    ) -> None:
        """R-K3: no secret, only captures and visits from a listed origin, never a dry run or an explanation."""
        if secret:
            raise _unauthorized("A site key is public and takes no secret key; call with a secret key instead", "R-K3")
        if not access.site_keys:
            raise _unauthorized("A site key may only capture leads and record visits", "R-K3")
        refused = [name for name in _SITE_KEYS_NEVER if query.get(name, "").casefold() == "true"]
        if refused:
            raise _unauthorized("A site key gets no dry runs or explanations", "R-K3")
        origin = _header(request, b"origin")
        if origin is None or not _origin_listed(key, origin):
            raise _unauthorized(f"Origin {origin or '(none)'} is not allowed for this site key", "R-K3")
        missing = access.needs - {KeyScope.ACTIVITY} - key.scopes
        if missing:
            raise _unauthorized(f"The key lacks the {_scope_names(missing)} this API needs")
        allow_origin(origin)

    async def _count(self, limiter: RateLimiter, caller: str) -> None:
        """Count one request of `caller` on `limiter`; raises ApiError 429 with Retry-After over its limit."""
        if limiter.in_process:
            retry_after = limiter.hit(caller)
        else:  # a round trip to Redis: off the event loop
            retry_after = await anyio.to_thread.run_sync(limiter.hit, caller)
        if retry_after is not None:
            limit = limiter.limit
            problem = Problem(
                exception_type=ExceptionType.RATE_LIMITED,
                message=f"API calls exceeded the limit of {limit.amount} in {limit.seconds} second(s)",
                status=429,
                rule="R-H4",
            )
            raise ApiError(problem, headers={"Retry-After": str(retry_after)})


def _origin_listed(key: ApiKey, origin: str) -> bool:
    try:
        return parse_origin(origin) in key.origins
    except ValueError:
        return False


def _scope_names(scopes: frozenset[KeyScope]) -> str:
    names = " and ".join(f"'{scope}'" for scope in sorted(scopes))
    return f"{names} scope{'s' if len(scopes) > 1 else ''}"


async def _admit(request: Request[Any, Any, Any], access: Access) -> ApiKey:
    gate: Gate = request.app.state.gate
    return await gate.admit(request, access)


_JSON_MEDIA_TYPE: Final = re.compile(r"application/(?:[\w.+-]+\+)?json", re.IGNORECASE)


async def json_body(request: Request[Any, Any, Any], *, rule: str = "R-V1") -> bytes:
    """The request's body, once its Content-Type says JSON (R-V1); raises ApiError 400 when it says otherwise.

    `application/json` with or without parameters (`; charset=utf-8`) and `application/*+json` are JSON. A
    request that names no Content-Type at all is read as JSON, as LeadSquared's own clients and plain
    HTTP libraries sending a raw body expect (adr/0046).
    """
    content_type = _header(request, b"content-type")
    if content_type is not None and not _JSON_MEDIA_TYPE.fullmatch(content_type.split(";", 1)[0].strip()):
        media_type = content_type.split(";", 1)[0].strip() or "(empty)"
        message = f"Content-Type must be application/json, not {media_type}"
        raise ApiError(invalid_input(message, rule=rule))
    return await request.body()


def _engine(request: Request[Any, Any, Any]) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@post(f"{BASE}/Lead.Capture", status_code=200)
async def lead_capture(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Create or update a lead (R-M, R-B, R-U); `dryRun=true` previews instead (R-D1, R-D2).

    With an `Idempotency-Key` header, a retry with the same key and body within 24 hours replays the first
    answer without capturing again; the same key with another body is a 400. With `explain=true` a
    successful answer also carries the decision it applied (adr/0036).
    """
    caller = await _admit(request, CAPTURE_ACCESS)
    engine = _engine(request)
    query = _query(request)
    body = await json_body(request)
    behavior = query.get("leadupdatebehavior")
    if caller.site:
        behavior = site_key_behavior(behavior)
    if query.get("dryrun", "").casefold() == "true":
        preview = await anyio.to_thread.run_sync(engine.preview, body, behavior)
        return _preview_response(preview)
    explain = query.get("explain", "").casefold() == "true"
    idempotency_key = _header(request, b"idempotency-key")
    if idempotency_key is not None:
        return await _capture_once(engine, caller, idempotency_key, body, behavior, explain=explain)
    writer: GroupCommitWriter | None = request.app.state.writer
    if writer is not None:
        captured = await writer.capture(body, behavior)
    else:
        captured = await anyio.to_thread.run_sync(engine.capture, body, behavior)
    note_capture(captured)
    if isinstance(captured, Success):
        return _json(capture_answer(captured.unwrap(), explain=explain))
    return _error(captured.failure())


def site_key_behavior(asked: str | None) -> str | None:
    """A site key's LeadUpdateBehavior (R-K3): at most UpdateOnlyEmptyFields, DoNotUpdate when asked.

    A stranger who knows someone's email must not overwrite that lead from a public page, so a behaviour
    that would change filled fields becomes UpdateOnlyEmptyFields. A value that is no behaviour is passed
    on unchanged, to be refused as for any key (R-V6).
    """
    if asked is None:
        return UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS.value
    known = {behavior.value.casefold(): behavior for behavior in UpdateBehavior}
    chosen = known.get(asked.strip().casefold())
    if chosen is None:
        return asked
    if chosen is UpdateBehavior.DO_NOT_UPDATE:
        return chosen.value
    return UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS.value


@route([f"{BASE}/Lead.Capture", VISIT_PATH], http_method=[HttpMethod.OPTIONS], include_in_schema=False)
async def site_key_preflight(request: Request[Any, Any, Any]) -> Response[bytes]:
    """A browser's CORS preflight: 204 with the CORS headers for an origin the site key lists, else 403 (R-K3)."""
    origin = request.headers.get("origin")
    access_key = _query(request).get("accesskey")
    gate: Gate = request.app.state.gate
    if origin and access_key and await gate.site_key_allows(access_key, origin):
        return Response(b"", status_code=204, headers=preflight_headers(origin))
    raise _unauthorized(f"Origin {origin or '(none)'} is not allowed for this site key", "R-K3")


def rendered_capture(captured: Result[CaptureReceipt, Problem], *, explain: bool = False) -> StoredAnswer:
    """A capture's answer as it is sent and recorded for an idempotency key (with `Decision` if `explain`)."""
    note_capture(captured)
    if isinstance(captured, Success):
        return StoredAnswer(status=200, body=_encode(capture_answer(captured.unwrap(), explain=explain)))
    problem = captured.failure()
    return StoredAnswer(status=problem.status, body=_encode(error_envelope(problem)))


def idempotent_response(answered: Result[IdempotentAnswer, Problem]) -> Response[bytes]:
    """The recorded or fresh answer (`Idempotency-Replayed: true` on a replay), or the key's problem."""
    if isinstance(answered, Failure):
        return _error(answered.failure())
    answer = answered.unwrap()
    headers = {"Idempotency-Replayed": "true"} if answer.replayed else {}
    return Response(answer.body, status_code=answer.status, media_type=MediaType.JSON, headers=headers)


async def _capture_once(  # noqa: PLR0913 - the request's parts, passed on unchanged
    engine: Engine, caller: ApiKey, idempotency_key: str, body: bytes, behavior: str | None, *, explain: bool
) -> Response[bytes]:
    """Lead.Capture with an `Idempotency-Key`: the capture and the record of its answer commit together.

    A replay answers what was recorded, `Decision` included or not as the first request asked.
    """
    answered = await anyio.to_thread.run_sync(
        lambda: engine.capture_idempotently(
            body,
            behavior,
            scope=f"Lead.Capture:{caller.access_key}",
            key=idempotency_key,
            render=functools.partial(rendered_capture, explain=explain),
        ),
    )
    return idempotent_response(answered)


@get(f"{BASE}/Leads.GetById")
async def get_by_id(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The lead with this id, as a one-element array, or `[]`."""
    await _admit(request, READ_ACCESS)
    lead_id = _query(request).get("id", "").strip().lower()
    lead = await anyio.to_thread.run_sync(_engine(request).store.get_lead, lead_id) if lead_id else None
    return _json([flat_lead(lead)] if lead is not None else [])


@get(f"{BASE}/Leads.GetByEmailaddress")
async def get_by_email(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The leads with this email address, compared case-insensitively (R-N1)."""
    await _admit(request, READ_ACCESS)
    email = _query(request).get("emailaddress", "").strip()
    key = match_key(DataType.EMAIL, email)
    leads = await anyio.to_thread.run_sync(_engine(request).store.find_leads, EMAIL, key)
    return _json([flat_lead(lead) for lead in leads])


@get(f"{BASE}/RetrieveLeadByPhoneNumber")
async def get_by_phone(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The leads with this phone number, compared on E.164 (R-N2)."""
    await _admit(request, READ_ACCESS)
    engine = _engine(request)
    raw = _query(request).get("phone", "").strip()
    stored = STANDARD_NORMALIZER.phone(raw, engine.schema.default_country_code) if raw else None
    if stored is None:
        return _json([])
    leads = await anyio.to_thread.run_sync(engine.store.find_leads, PHONE, match_key(DataType.PHONE, stored))
    return _json([flat_lead(lead) for lead in leads])


@get(f"{BASE}/LeadsMetaData.Get")
async def leads_metadata(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The lead schema: every field with its type and flags."""
    await _admit(request, READ_ACCESS)
    return _json([_field_metadata(spec) for spec in _engine(request).schema.fields])


_ACTIVITY_QUERY: Final = msgspec.json.Decoder(ActivityQuery)


@post("/v2/ProspectActivity.svc/Retrieve", status_code=200)
async def retrieve_activities(request: Request[Any, Any, Any]) -> Response[bytes]:
    """A lead's activities, newest first, optionally of one event code and paged (R-H5)."""
    await _admit(request, READ_ACCESS)
    lead_id = _query(request).get("leadid", "").strip().lower()
    raw = await json_body(request, rule="R-H5")
    try:
        query = _ACTIVITY_QUERY.decode(raw) if raw.strip() else ActivityQuery()
    except msgspec.DecodeError as exc:
        raise ApiError(invalid_input(f"Invalid request body: {exc}", rule="R-H5")) from exc
    activities = await anyio.to_thread.run_sync(_engine(request).store.activities, lead_id) if lead_id else ()
    event = query.parameter.activity_event
    chosen = [a for a in activities if event is None or a.event_code == event]
    page = chosen[query.paging.offset : query.paging.offset + query.paging.row_count]
    return _json(
        ActivityPage(
            record_count=len(chosen),
            prospect_activities=[
                ActivityRecord(
                    id=activity.id,
                    event_code=activity.event_code,
                    event_name=activity.event_name,
                    created_on=activity.created_on.strftime("%Y-%m-%d %H:%M:%S"),
                    data=msgspec.to_builtins(activity.data),
                )
                for activity in page
            ],
        ),
    )


_VISIT_BODY: Final = msgspec.json.Decoder(VisitBody)
_GUID: Final = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@post(VISIT_PATH, status_code=200)
async def record_visit(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Record a page view: on the lead with this id (R-W3), else on its anonymous visitor (R-W1, R-W2)."""
    await _admit(request, VISIT_ACCESS)
    try:
        body = _VISIT_BODY.decode(await json_body(request, rule="R-W1"))
    except msgspec.DecodeError as exc:
        raise ApiError(invalid_input(f"Invalid request body: {exc}", rule="R-W1")) from exc
    if body.prospect_id is not None and not _GUID.fullmatch(body.prospect_id.strip()):
        raise ApiError(invalid_input("ProspectId: not a valid GUID", rule="R-W1"))
    engine = _engine(request)
    decision, is_lead = await anyio.to_thread.run_sync(_record_visit, engine, body)
    tracking_id = decision.activity.lead_id if isinstance(decision, VisitedLead) else decision.visitor.id
    return _json(VisitAnswer(status="Success", message=VisitMessage(id=tracking_id, is_lead=is_lead)))


def _record_visit(engine: Engine, body: VisitBody) -> tuple[VisitDecision, bool]:
    """Record the visit; the decision, and whether the visit went on a lead (R-W3).

    A visit decided for a visitor but saved after a capture converted it is posted on the new lead by the
    save (adr/0028), so it is answered as a lead's visit.
    """
    tracking_id = body.prospect_id.strip().lower() if body.prospect_id else engine.new_id()
    store = engine.store
    decision = decide_visit(
        tracking_id=tracking_id,
        lead=store.get_lead(tracking_id),
        visitor=store.visitor(tracking_id),
        page_url=body.page_url,
        referrer=body.referrer,
        now=engine.now(),
        visit_id=engine.new_id(),
    )
    if isinstance(decision, VisitedLead):
        store.post_activity(decision.activity)
        return decision, True
    return decision, store.save_visitor(decision.visitor)


_BASELINE_BODY: Final = msgspec.json.Decoder(list[RawAttribute])
_BASELINE_ANSWER: Final = _encode(
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
    await anyio.to_thread.run_sync(_engine(request).store.get_lead, "00000000-0000-0000-0000-000000000000")
    return _json(HealthAnswer(status="Success"))


def create_app(  # noqa: PLR0913 - keyword-only settings of the app
    *,
    engine: Engine,
    keys: KeyStore,
    rate_limit: RateLimit | None = None,
    site_rate_limit: RateLimit = SITE_RATE_LIMIT,
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
    from leadcapture.entrypoints.async_capture import ASYNC_ROUTES, InboxAcceptor
    from leadcapture.entrypoints.authentication import AUTHENTICATION_ROUTES, public_host
    from leadcapture.entrypoints.lead_queries import LEAD_QUERY_ROUTES

    writer = GroupCommitWriter(engine, metrics=metrics) if group_commit else None
    gate = Gate(
        keys,
        RateLimiter(rate_limit or RateLimit(amount=25, seconds=5), storage_uri=limiter_storage),
        RateLimiter(site_rate_limit, storage_uri=limiter_storage, namespace="site-ip"),
    )
    app = Litestar(
        route_handlers=[
            *(ASYNC_ROUTES if inbox is not None else ()),
            *TRACKER_ROUTES,
            site_key_preflight,  # before the routes of its paths, so that it replaces the framework's OPTIONS
            lead_capture,
            get_by_id,
            get_by_email,
            get_by_phone,
            leads_metadata,
            *LEAD_QUERY_ROUTES,
            *AUTHENTICATION_ROUTES,
            retrieve_activities,
            record_visit,
            health,
            openapi,
            *([baseline] if baseline_route else []),
            *([metrics_route] if metrics is not None and metrics_route_served else []),
        ],
        exception_handlers={ApiError: _on_api_error, HTTPException: _on_http_error, Exception: _on_server_error},
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


def _preview_response(preview: Result[CaptureDecision, Problem]) -> Response[bytes]:
    """The real call's answer (same status and envelope) plus `"Preview"` (R-D2)."""
    if isinstance(preview, Failure):
        problem = preview.failure()
        return _json(preview_body(error_envelope(problem), None), problem.status)
    decision = preview.unwrap()
    answer = answer_for(decision)
    if isinstance(answer, Success):
        return _json(preview_body(success_envelope(answer.unwrap()), decision))
    problem = answer.failure()
    return _json(preview_body(error_envelope(problem), decision), problem.status)


def _field_metadata(spec: FieldSpec) -> FieldMetadata:
    return FieldMetadata(
        schema_name=spec.schema_name,
        display_name=spec.display_name,
        data_type=spec.data_type.value,
        is_mandatory=spec.is_mandatory,
        max_length=spec.max_length,
        is_unique=spec.is_unique,
        is_source_field=spec.is_source_field,
        options=list(spec.options),
    )
