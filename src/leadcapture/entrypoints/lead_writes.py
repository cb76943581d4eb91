"""The HTTP face of the lead-management writes: Create, Update, CreateOrUpdate, Convert and bulk (R-L1..R-L7, R-L10)."""

from __future__ import annotations

import functools
from typing import Any, Final

import anyio.to_thread
import msgspec
from litestar import MediaType, Request, Response, post
from returns.result import Failure

from leadcapture.core.policies import MatchPolicy
from leadcapture.entrypoints.gate import Access, admit
from leadcapture.entrypoints.web import ApiError, engine_of, header_of, idempotent_response, json_body, query_of
from leadcapture.keys import Scope
from leadcapture.lead_writes import LeadCall, bulk_write, lead_write, policy_for, written_answer
from leadcapture.ports import IdempotentTransaction
from leadcapture.service import Engine, StoredAnswer, request_fingerprint
from leadcapture.transports.base import (
    BULK_CREATE_OR_UPDATE_PATH,
    BULK_CREATE_PATH,
    CONVERT_PATH,
    CREATE_OR_UPDATE_PATH,
    CREATE_PATH,
    UPDATE_PATH,
)

MANAGE_ACCESS: Final = Access(needs=frozenset({Scope.CAPTURE}))
"""The lead-management calls write leads and post no activity: the `capture` scope (R-K1); never a site key."""
BULK_ACCESS: Final = Access(needs=frozenset({Scope.CAPTURE}), bulk=True)
_encode = msgspec.json.Encoder().encode


def _response(status: int, body: object) -> Response[bytes]:
    return Response(_encode(body), status_code=status, media_type=MediaType.JSON)


async def _lead_call(request: Request[Any, Any, Any], call: LeadCall) -> Response[bytes]:
    """Admit the caller, then run or preview `call`; with an `Idempotency-Key`, once per key (R-L10, R-Q5)."""
    caller = await admit(request, MANAGE_ACCESS)
    engine = engine_of(request)
    query = query_of(request)
    body = await json_body(request, rule="R-L10")
    key = header_of(request, b"idempotency-key")
    if key is None or query.get("dryrun", "").casefold() == "true":
        status, answer = await anyio.to_thread.run_sync(lead_write, engine, call, body, query)
        return _response(status, answer)
    chosen = policy_for(call, query)
    if isinstance(chosen, Failure):
        raise ApiError(chosen.failure())
    policy = chosen.unwrap()
    produce = functools.partial(_recorded_write, engine, call, body, policy)
    answered = await anyio.to_thread.run_sync(
        lambda: engine.answer_once(
            scope=f"{call}:{caller.access_key}",
            key=key,
            fingerprint=request_fingerprint(body, msgspec.json.encode(policy).decode()),
            produce=produce,
        ),
    )
    return idempotent_response(answered)


def _recorded_write(
    engine: Engine, call: LeadCall, body: bytes, policy: MatchPolicy, tx: IdempotentTransaction
) -> StoredAnswer:
    """The call applied inside the transaction that records its answer for the idempotency key."""
    status, answer = written_answer(call, engine.capture_in(tx, body, policy=policy))
    return StoredAnswer(status=status, body=_encode(answer))


@post(CREATE_PATH, status_code=200)
async def lead_create(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Create a lead from the attributes; never matches another (R-L1)."""
    return await _lead_call(request, LeadCall.CREATE)


@post(UPDATE_PATH, status_code=200)
async def lead_update(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Set the given fields on the lead `leadId` (R-L2); `postUpdatedLead` is accepted."""
    return await _lead_call(request, LeadCall.UPDATE)


@post(CREATE_OR_UPDATE_PATH, status_code=200)
async def lead_create_or_update(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Update the lead found by SearchBy's field, else EmailAddress then Phone; or create one (R-L3)."""
    return await _lead_call(request, LeadCall.CREATE_OR_UPDATE)


@post(CONVERT_PATH, status_code=200)
async def lead_convert(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Turn the visitor `leadId` into a lead with that id and its first-touch source (R-L4)."""
    return await _lead_call(request, LeadCall.CONVERT)


async def _bulk_call(request: Request[Any, Any, Any], call: LeadCall) -> Response[bytes]:
    await admit(request, BULK_ACCESS)
    engine = engine_of(request)
    body = await json_body(request, rule="R-L7")
    dry_run = query_of(request).get("dryrun", "").casefold() == "true"
    status, answer = await anyio.to_thread.run_sync(lambda: bulk_write(engine, call, body, dry_run=dry_run))
    return _response(status, answer)


@post(BULK_CREATE_PATH, status_code=200)
async def bulk_create(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Create up to 50 leads in order, one answer per row (R-L7)."""
    return await _bulk_call(request, LeadCall.CREATE)


@post(BULK_CREATE_OR_UPDATE_PATH, status_code=200)
async def bulk_create_or_update(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Create or update up to 25 leads in order (SearchBy per row), one answer per row (R-L7)."""
    return await _bulk_call(request, LeadCall.CREATE_OR_UPDATE)


LEAD_WRITE_ROUTES: Final = [
    lead_create,
    lead_update,
    lead_create_or_update,
    lead_convert,
    bulk_create,
    bulk_create_or_update,
]
