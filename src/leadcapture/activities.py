"""Posted activities and activity types (R-L8) as LeadSquared answers them, for the HTTP app and `LocalTransport`.

Each function takes the engine and the request's raw body and gives an `ActivityAnswer`: the status and the
wire body to send, and the problem when it is an error. The two faces only carry bytes in and out; the HTTP
app adds keys, scopes and idempotency around them.

A post is read and decided in one store transaction: the lead it names is looked up, and when the post is
by an EmailAddress no lead has, the engine decides the capture of its lead (`Engine.decide`, the very
decision of Lead.Capture); the capture and the activity are then written in that transaction, so a failure
writes neither. A dry run decides the same way and writes nothing (R-L10).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.core.activities import (
    ActivityIds,
    ActivityPost,
    ActivityType,
    PostActivity,
    all_activity_types,
    decide_activity,
    decide_activity_type,
    read_activity_post,
    read_activity_type,
)
from leadcapture.core.decision import CaptureDecision
from leadcapture.core.match import candidate_query
from leadcapture.core.names import EMAIL, ExceptionType
from leadcapture.core.problems import Problem, invalid_input
from leadcapture.core.records import Lead
from leadcapture.core.request import CaptureRequest
from leadcapture.ports import ActivityTransaction, LeadStore
from leadcapture.service import DEFAULT_MAX_ATTEMPTS, Engine, StoredAnswer
from leadcapture.wire.activities import (
    ActivityTypeRecord,
    post_preview,
    posted_answer,
    type_answer,
    type_preview,
    type_record,
)
from leadcapture.wire.leadsquared import error_envelope

_T = TypeVar("_T")
_encode = msgspec.json.Encoder().encode
CAPTURE_SCOPE_NEEDED: Final = Problem(
    exception_type=ExceptionType.UNAUTHORIZED,
    message="The key lacks the 'capture' scope this API needs to create the lead that no lead has this email",
    status=403,
    rule="R-K2",
)
"""A post by an EmailAddress that no lead has captures a lead: the key needs `capture` too (adr/0056)."""
_BUSY: Final = Problem(
    exception_type=ExceptionType.BUSY,
    message="The lead or the activity types kept changing under concurrent requests; retry the request.",
    status=503,
    rule="R-M10",
)


class ActivityAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """What to answer: the status and wire body, and the problem when it is an error (for the logs)."""

    status: int
    body: object
    problem: Problem | None = None

    def stored(self) -> StoredAnswer:
        """The answer as an idempotency record keeps it."""
        return StoredAnswer(status=self.status, body=_encode(self.body))


def _failed(problem: Problem, *, dry_run: bool) -> ActivityAnswer:
    envelope: object = error_envelope(problem)
    if dry_run:  # R-D: the real call's answer plus a Preview, which is empty when nothing would be done
        envelope = {**msgspec.to_builtins(envelope), "Preview": None}
    return ActivityAnswer(status=problem.status, body=envelope, problem=problem)


def _decode(body: bytes) -> Result[object, Problem]:
    if not body.strip():
        return Failure(invalid_input("Invalid request body: the body is empty", rule="R-V1"))
    try:
        return Success(msgspec.json.decode(body))
    except msgspec.DecodeError as exc:
        return Failure(invalid_input(f"Invalid request body: {exc}", rule="R-V1"))


def post_activity_answer(
    engine: Engine,
    body: bytes,
    *,
    may_capture: bool = True,
    dry_run: bool = False,
    tx: ActivityTransaction | None = None,
) -> ActivityAnswer:
    """ProspectActivity.svc/Create (R-L8): post the activity, capturing its lead first when none has its email.

    `may_capture`: whether the caller may capture a lead (its key has the `capture` scope); a post that would
    capture one answers 403 otherwise, writing nothing. `tx`: a transaction the caller holds (an idempotency
    record is written in it); else the post opens its own.
    """
    read = _decode(body).bind(read_activity_post)
    if isinstance(read, Failure):
        return _failed(read.failure(), dry_run=dry_run)
    post = read.unwrap()
    decided = _in_transaction(
        engine, tx, lambda held: _post_in(engine, held, post, may_capture=may_capture, dry_run=dry_run)
    )
    if isinstance(decided, Failure):
        return _failed(decided.failure(), dry_run=dry_run)
    posted = decided.unwrap()
    return ActivityAnswer(status=200, body=post_preview(posted) if dry_run else posted_answer(posted))


def _post_in(
    engine: Engine, tx: ActivityTransaction, post: ActivityPost, *, may_capture: bool, dry_run: bool
) -> Result[PostActivity, Problem]:
    """Decide the post inside `tx` and, unless `dry_run`, write it; decide again if the store refuses (R-M10)."""
    capture_request = None
    email_key = None
    if post.lead_id is None:
        validated = engine.validate(list(post.lead_attributes))
        if isinstance(validated, Failure):
            return Failure(validated.failure())
        capture_request = validated.unwrap()[0]
        # The email's key as a capture compares it (case-folded, or canonical Gmail when configured).
        email_key = dict(candidate_query(capture_request, engine.schema).keys).get(EMAIL)
    for _ in range(DEFAULT_MAX_ATTEMPTS):
        types = all_activity_types(tx.activity_types())
        lead, capture = _lead_of(engine, tx, post, email_key, capture_request)
        decided = decide_activity(
            post,
            lead=lead,
            capture=capture,
            types=types,
            now=engine.now(),
            ids=ActivityIds(activity_id=engine.new_id()),
        )
        if isinstance(decided, Failure):
            return decided
        posting = decided.unwrap()
        if posting.capture is not None and not may_capture:
            return Failure(CAPTURE_SCOPE_NEEDED)
        if dry_run:
            return decided
        if posting.capture is not None and isinstance(tx.apply(posting.capture), Failure):
            continue  # another request took the email or changed the lead meanwhile: read and decide again
        if tx.post_activity(posting.activity):
            return decided
        # The lead went between the read and the write (only possible outside one transaction's view).
    return Failure(_BUSY)


def _lead_of(
    engine: Engine,
    tx: ActivityTransaction,
    post: ActivityPost,
    email_key: str | None,
    capture_request: CaptureRequest | None,
) -> tuple[Lead | None, CaptureDecision | None]:
    """The lead the post names, or else, when the post is by email, the engine's decision capturing its lead."""
    if post.lead_id is not None:
        return tx.get_lead(post.lead_id), None
    holders = tx.find_leads(EMAIL, email_key) if email_key is not None else ()
    if holders:
        return holders[0], None
    if capture_request is None:
        return None, None
    return None, engine.decide(capture_request, None, reader=tx)


def create_activity_type_answer(
    engine: Engine, body: bytes, *, dry_run: bool = False, tx: ActivityTransaction | None = None
) -> ActivityAnswer:
    """ProspectActivity.svc/CreateType (R-L8): register a custom type under the next code from 201."""
    read = _decode(body).bind(read_activity_type)
    if isinstance(read, Failure):
        return _failed(read.failure(), dry_run=dry_run)
    asked = read.unwrap()

    def register(held: ActivityTransaction) -> Result[ActivityType, Problem]:
        for _ in range(DEFAULT_MAX_ATTEMPTS):
            decided = decide_activity_type(asked, held.activity_types())
            if isinstance(decided, Failure) or dry_run or held.add_activity_type(decided.unwrap()):
                return decided
            # Another request registered the code or the name meanwhile: read the types again.
        return Failure(_BUSY)

    registered = _in_transaction(engine, tx, register)
    if isinstance(registered, Failure):
        return _failed(registered.failure(), dry_run=dry_run)
    kind = registered.unwrap()
    return ActivityAnswer(status=200, body=type_preview(kind) if dry_run else type_answer(kind))


def activity_types_answer(store: LeadStore) -> list[ActivityTypeRecord]:
    """ActivityTypes.Get (R-L8): every type, the built-in Web Visit (1) and Lead Capture (23) included."""
    return [type_record(kind) for kind in all_activity_types(store.activity_types())]


def _in_transaction(
    engine: Engine,
    tx: object | None,
    work: Callable[[ActivityTransaction], Result[_T, Problem]],
) -> Result[_T, Problem]:
    """Run `work` in `tx`, or in a store transaction of its own that a failure rolls back (writing nothing)."""
    if tx is not None:
        return work(activity_transaction(tx))
    failed: list[Result[_T, Problem]] = []
    try:
        with engine.store.transaction() as held:
            result = work(activity_transaction(held))
            if isinstance(result, Failure):
                failed.append(result)
                raise _RollBack
            return result
    except _RollBack:
        return failed[0]


def activity_transaction(tx: object) -> ActivityTransaction:
    """`tx` as a transaction that can post activities; a TypeError for a store whose transactions cannot."""
    if not isinstance(tx, ActivityTransaction):
        msg = f"{type(tx).__name__} cannot post activities"
        raise TypeError(msg)
    return tx


class _RollBack(Exception):  # noqa: N818 - a signal, not an error
    """Raised out of a transaction whose work failed, so that the store rolls back anything it wrote."""
