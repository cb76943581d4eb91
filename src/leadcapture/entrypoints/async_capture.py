"""Async capture over HTTP (R-Q1, R-Q2, R-Q5, R-Q6): accept durably now, apply in the worker later.

`POST /lead/capture` checks the body's structure, then commits the request to the inbox in the leads' own
database before answering 200 with its RequestID; an accepted request is never lost (R-Q4). With an
`Idempotency-Key` header the inbox row and the key's record commit together, and a resubmission answers
the first RequestID (R-Q5).
"""

from __future__ import annotations

from typing import Any, Final

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post
from returns.result import Failure

from leadcapture.adapters.inbox import SQLInbox
from leadcapture.adapters.sql import SQLTransaction
from leadcapture.core.match import candidate_query
from leadcapture.core.names import ExceptionType
from leadcapture.core.problems import Problem
from leadcapture.core.request import coerce_attributes, parse_behavior
from leadcapture.entrypoints.http import (
    ApiError,
    _admit,
    _engine,
    _json,
    _query,
    idempotent_response,
)
from leadcapture.ports import IdempotentTransaction
from leadcapture.service import Engine, StoredAnswer, request_fingerprint

ACCEPTED_STATUS: Final = "Request accepted. Please use below request id to check the status"
TASK_TYPE: Final = "Lead Capture"
_encode = msgspec.json.Encoder().encode
_IDENTIFIER_SEPARATOR: Final = "\x1f"


def _inbox(request: Request[Any, Any, Any]) -> SQLInbox:
    inbox: SQLInbox = request.app.state.inbox
    return inbox


def request_identifiers(engine: Engine, body: bytes, behavior: str | None) -> list[str]:
    """The identifiers a request touches (its ProspectId and indexed values' match keys), for ordering (R-Q4).

    A request that does not validate touches nothing: it will end as FAILURE whatever came before it.
    """
    checked = engine.validate(body, behavior)
    if isinstance(checked, Failure):
        return []
    query = candidate_query(checked.unwrap()[0], engine.schema)
    identifiers = [f"{field}{_IDENTIFIER_SEPARATOR}{key}" for field, key in query.keys]
    if query.prospect_id:
        identifiers.append(f"ProspectId{_IDENTIFIER_SEPARATOR}{query.prospect_id}")
    return identifiers


def _accept(
    engine: Engine, inbox: SQLInbox, tx: IdempotentTransaction, body: bytes, behavior: str | None
) -> StoredAnswer:
    if not isinstance(tx, SQLTransaction):  # pragma: no cover - the inbox is only offered on SQL stores
        msg = "the inbox needs a SQL store"
        raise TypeError(msg)
    request_id = engine.new_id()
    inbox.accept_in(
        tx,
        request_id=request_id,
        body=body,
        behavior=behavior,
        identifiers=request_identifiers(engine, body, behavior),
        now=engine.now(),
    )
    return StoredAnswer(status=200, body=_encode({"Status": ACCEPTED_STATUS, "RequestID": request_id}))


def _accept_now(engine: Engine, inbox: SQLInbox, body: bytes, behavior: str | None) -> StoredAnswer:
    with inbox.store.transaction() as tx:
        return _accept(engine, inbox, tx, body, behavior)


@post("/lead/capture", status_code=200)
async def async_capture(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Accept a Lead.Capture body for later (R-Q1): 200 with a RequestID once it is durably stored."""
    caller = await _admit(request)
    engine, inbox = _engine(request), _inbox(request)
    body = await request.body()
    behavior = _query(request).get("leadupdatebehavior")
    structure = parse_behavior(behavior).bind(lambda _: coerce_attributes(body))
    if isinstance(structure, Failure):
        raise ApiError(structure.failure())
    key = request.headers.get("idempotency-key")
    if key is None:
        answer = await anyio.to_thread.run_sync(_accept_now, engine, inbox, body, behavior)
        return Response(answer.body, status_code=answer.status, media_type="application/json")
    answered = await anyio.to_thread.run_sync(
        lambda: engine.answer_once(
            scope=f"lead/capture:{caller.access_key}",
            key=key,
            fingerprint=request_fingerprint(body, behavior),
            produce=lambda tx: _accept(engine, inbox, tx, body, behavior),
        ),
    )
    return idempotent_response(answered)


@get("/lead/status")
async def async_status(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Where an accepted request stands (R-Q2): In-Queue, Success, FAILURE or ERROR, with its answer."""
    await _admit(request)
    request_id = _query(request).get("requestid", "").strip().lower()
    status = await anyio.to_thread.run_sync(_inbox(request).status, request_id) if request_id else None
    if status is None:
        raise ApiError(
            Problem(
                exception_type=ExceptionType.NOT_FOUND,
                message=f"No request with RequestId {request_id!r}",
                status=404,
                rule="R-Q2",
            ),
        )
    message = msgspec.json.decode(status.message) if status.message is not None else None
    return _json(
        {
            "RequestId": status.request_id,
            "TaskStatus": {"TaskType": TASK_TYPE, "Status": status.status, "StatusReason": status.status_reason},
            "Message": message,
        },
    )


@get("/lead/capture/metrics")
async def async_metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The inbox's backlog (R-Q6): pending requests, the oldest one's wait, and requests done per minute."""
    await _admit(request)
    engine = _engine(request)
    metrics = await anyio.to_thread.run_sync(_inbox(request).metrics, engine.now())
    return _json(
        {
            "PendingMessages": metrics.pending,
            "MaxDelayInSeconds": metrics.max_delay_seconds,
            "ProcessingRatePerMinute": metrics.processed_last_minute,
        },
    )


ASYNC_ROUTES: Final = (async_capture, async_status, async_metrics)
