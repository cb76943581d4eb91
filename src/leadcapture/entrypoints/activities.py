"""The HTTP face of posted activities and activity types (R-L8), with keys, scopes and idempotency around them.

Posting and registering need the `activity` scope, listing the types `read` (R-K1). A post by an
EmailAddress that no lead has also captures a lead, which needs `capture` too; that is known only once
the post is decided, so such a post answers 403 then, writing nothing (adr/0056). Site keys may not call
these routes. `dryRun=true` answers what would happen and writes nothing; an `Idempotency-Key` replays the
first answer (R-L10, R-Q5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import anyio.to_thread
from litestar import Request, Response, get, post

from leadcapture.activities import (
    ActivityAnswer,
    activity_transaction,
    activity_types_answer,
    create_activity_type_answer,
    post_activity_answer,
)
from leadcapture.entrypoints.gate import READ_ACCESS, Access, admit
from leadcapture.entrypoints.logs import note_problem
from leadcapture.entrypoints.web import engine_of, header_of, idempotent_response, json_answer, json_body, query_of
from leadcapture.keys import Scope as KeyScope
from leadcapture.service import StoredAnswer, request_fingerprint
from leadcapture.transports.base import ACTIVITY_TYPES_PATH, CREATE_ACTIVITY_PATH, CREATE_ACTIVITY_TYPE_PATH

ACTIVITY_ACCESS: Final = Access(needs=frozenset({KeyScope.ACTIVITY}))
"""Activity writes and types (R-K1); a post that captures its lead also needs `capture` (checked when decided)."""


def _response(answer: ActivityAnswer) -> Response[bytes]:
    if answer.problem is not None:
        note_problem(answer.problem)
    return json_answer(answer.body, answer.status)


async def _answer_once(
    request: Request[Any, Any, Any],
    scope: str,
    body: bytes,
    produce: Callable[[object], ActivityAnswer],
) -> Response[bytes] | None:
    """With an `Idempotency-Key`: the answer, recorded in the transaction that wrote it or replayed; else None."""
    key = header_of(request, b"idempotency-key")
    if key is None:
        return None
    engine = engine_of(request)

    def record(tx: object) -> StoredAnswer:
        answer = produce(tx)
        if answer.problem is not None:
            note_problem(answer.problem)
        return answer.stored()

    answered = await anyio.to_thread.run_sync(
        lambda: engine.answer_once(scope=scope, key=key, fingerprint=request_fingerprint(body), produce=record),
    )
    return idempotent_response(answered)


@post(CREATE_ACTIVITY_PATH, status_code=200)
async def create_activity(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Post an activity on a lead, by RelatedProspectId or EmailAddress, capturing the lead if none has the email."""
    caller = await admit(request, ACTIVITY_ACCESS)
    engine = engine_of(request)
    body = await json_body(request, rule="R-L8")
    may_capture = KeyScope.CAPTURE in caller.scopes
    if query_of(request).get("dryrun", "").casefold() == "true":
        preview = await anyio.to_thread.run_sync(
            lambda: post_activity_answer(engine, body, may_capture=may_capture, dry_run=True)
        )
        return _response(preview)
    once = await _answer_once(
        request,
        f"ProspectActivity.Create:{caller.access_key}",
        body,
        lambda tx: post_activity_answer(engine, body, may_capture=may_capture, tx=activity_transaction(tx)),
    )
    if once is not None:
        return once
    return _response(
        await anyio.to_thread.run_sync(lambda: post_activity_answer(engine, body, may_capture=may_capture))
    )


@post(CREATE_ACTIVITY_TYPE_PATH, status_code=200)
async def create_activity_type(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Register a custom activity type; its event code, from 201 up, is the answer's `Message.Id`."""
    caller = await admit(request, ACTIVITY_ACCESS)
    engine = engine_of(request)
    body = await json_body(request, rule="R-L8")
    if query_of(request).get("dryrun", "").casefold() == "true":
        return _response(
            await anyio.to_thread.run_sync(lambda: create_activity_type_answer(engine, body, dry_run=True))
        )
    once = await _answer_once(
        request,
        f"ProspectActivity.CreateType:{caller.access_key}",
        body,
        lambda tx: create_activity_type_answer(engine, body, tx=activity_transaction(tx)),
    )
    if once is not None:
        return once
    return _response(await anyio.to_thread.run_sync(lambda: create_activity_type_answer(engine, body)))


@get(ACTIVITY_TYPES_PATH)
async def activity_types(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Every activity type: Web Visit (1), Lead Capture (23) and the custom ones, by event code."""
    await admit(request, READ_ACCESS)
    return json_answer(await anyio.to_thread.run_sync(activity_types_answer, engine_of(request).store))


ACTIVITY_ROUTES: Final = [create_activity, create_activity_type, activity_types]
