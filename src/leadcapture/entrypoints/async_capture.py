"""Async capture over HTTP (R-Q1, R-Q2, R-Q5, R-Q6): accept durably now, apply in the worker later.

`POST /lead/capture` checks the body's structure, then commits the request to the inbox in the leads' own
database before answering 200 with its RequestID; an accepted request is never lost (R-Q4). With an
`Idempotency-Key` header the inbox row and the key's record commit together, and a resubmission answers
the first RequestID (R-Q5).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post
from returns.result import Failure, Result, Success

from leadcapture.adapters.inbox import SQLInbox
from leadcapture.adapters.sql import SQLTransaction
from leadcapture.core.match import candidate_query
from leadcapture.core.names import ExceptionType
from leadcapture.core.problems import Problem
from leadcapture.core.request import coerce_attributes, parse_behavior
from leadcapture.entrypoints.gate import ASYNC_CAPTURE_ACCESS, READ_ACCESS, admit
from leadcapture.entrypoints.web import ApiError, engine_of, idempotent_response, json_answer, json_body, query_of
from leadcapture.ports import IdempotentTransaction
from leadcapture.service import (
    Engine,
    IdempotentAnswer,
    StoredAnswer,
    check_idempotency_key,
    request_fingerprint,
)
from leadcapture.wire.leadsquared import (
    ACCEPTED_STATUS,
    TASK_TYPE,
    AcceptedAnswer,
    InboxMetricsAnswer,
    RequestStatusAnswer,
    TaskStatus,
)

if TYPE_CHECKING:
    from leadcapture.entrypoints.metrics import ServerMetrics

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


def _accept(engine: Engine, inbox: SQLInbox, tx: IdempotentTransaction, submission: _Submission) -> StoredAnswer:
    if not isinstance(tx, SQLTransaction):  # pragma: no cover - the inbox is only offered on SQL stores
        msg = "the inbox needs a SQL store"
        raise TypeError(msg)
    request_id = engine.new_id()
    inbox.accept_in(
        tx,
        request_id=request_id,
        access_key=submission.access_key,
        body=submission.body,
        behavior=submission.behavior,
        identifiers=request_identifiers(engine, submission.body, submission.behavior),
        now=engine.now(),
    )
    return StoredAnswer(status=200, body=_encode(AcceptedAnswer(status=ACCEPTED_STATUS, request_id=request_id)))


def _accept_now(engine: Engine, inbox: SQLInbox, submission: _Submission) -> StoredAnswer:
    with inbox.store.transaction() as tx:
        return _accept(engine, inbox, tx, submission)


class _Submission(msgspec.Struct, frozen=True, kw_only=True):
    access_key: str
    body: bytes
    behavior: str | None
    scope: str
    key: str | None
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Result[IdempotentAnswer, Problem]]


class InboxAcceptor:
    """Commits the requests that arrive together in one transaction: one disk flush for all of them.

    Each request waits for the commit that holds it before it is answered, so an accepted request is
    always durable; under load a flush is shared by every request that arrived while the previous one
    ran, which is what lets a burst be accepted faster than one flush per request (adr/0027). A group
    that fails is tried again request by request, so that one bad request cannot fail the others.
    """

    def __init__(
        self, engine: Engine, inbox: SQLInbox, *, max_group: int = 256, metrics: ServerMetrics | None = None
    ) -> None:
        """Accept into `inbox` (in `engine`'s store), at most `max_group` requests per transaction.

        `metrics` counts the requests newly stored.
        """
        self._engine = engine
        self._metrics = metrics
        self._inbox = inbox
        self._max_group = max_group
        self._waiting: queue.SimpleQueue[_Submission] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._in_flight = 0
        self._quiet = threading.Condition()

    def wait_quiet(self, timeout: float) -> bool:
        """Wait until no request is waiting to be accepted, at most `timeout` seconds; whether it is quiet.

        A worker in the same process calls this before each round, so that a burst of requests is accepted
        before it is applied: on SQLite they take turns on the one write lock, and accepting comes first.
        """
        with self._quiet:
            return self._quiet.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    async def accept(
        self, body: bytes, behavior: str | None, *, access_key: str, key: str | None
    ) -> Result[IdempotentAnswer, Problem]:
        """Store a request (once per idempotency key, if given) and answer once it is committed."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result[IdempotentAnswer, Problem]] = loop.create_future()
        with self._quiet:
            self._in_flight += 1
        self._waiting.put(
            _Submission(
                access_key=access_key,
                body=body,
                behavior=behavior,
                scope=f"lead/capture:{access_key}",
                key=key,
                loop=loop,
                future=future,
            ),
        )
        return await future

    def _ensure_started(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="inbox-acceptor", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            group = [self._waiting.get()]
            while len(group) < self._max_group:
                try:
                    group.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            outcomes = self._commit(group)
            if self._metrics is not None:
                self._metrics.inbox_accepted.inc(sum(map(_newly_stored, outcomes)))
            with self._quiet:
                self._in_flight -= len(group)
                self._quiet.notify_all()
            for submission, outcome in zip(group, outcomes, strict=True):
                submission.loop.call_soon_threadsafe(_settle, submission.future, outcome)

    def _commit(self, group: list[_Submission]) -> list[Result[IdempotentAnswer, Problem] | BaseException]:
        if len(group) > 1:
            try:
                with self._inbox.store.transaction() as tx:
                    return [self._accept_in(tx, submission) for submission in group]
            except Exception:  # noqa: S110 - each request is tried again alone below
                pass
        return [self._accept_alone(submission) for submission in group]

    def _accept_in(self, tx: IdempotentTransaction, submission: _Submission) -> Result[IdempotentAnswer, Problem]:
        produce = _producer(self._engine, self._inbox, submission)
        if submission.key is None:
            answer = produce(tx)
            return Success(IdempotentAnswer(status=answer.status, body=answer.body, replayed=False))
        bad_key = check_idempotency_key(submission.key)
        if bad_key is not None:
            return Failure(bad_key)
        return self._engine.answer_once_in(
            tx,
            scope=submission.scope,
            key=submission.key,
            fingerprint=request_fingerprint(submission.body, submission.behavior),
            produce=produce,
        )

    def _accept_alone(self, submission: _Submission) -> Result[IdempotentAnswer, Problem] | BaseException:
        try:
            if submission.key is None:
                answer = _accept_now(self._engine, self._inbox, submission)
                return Success(IdempotentAnswer(status=answer.status, body=answer.body, replayed=False))
            return self._engine.answer_once(
                scope=submission.scope,
                key=submission.key,
                fingerprint=request_fingerprint(submission.body, submission.behavior),
                produce=_producer(self._engine, self._inbox, submission),
            )
        except Exception as exc:
            return exc


def _producer(
    engine: Engine, inbox: SQLInbox, submission: _Submission
) -> Callable[[IdempotentTransaction], StoredAnswer]:
    return lambda tx: _accept(engine, inbox, tx, submission)


def _newly_stored(outcome: Result[IdempotentAnswer, Problem] | BaseException) -> bool:
    """Whether this outcome stored a request (not a fault, a refused key or a replay)."""
    return isinstance(outcome, Success) and not outcome.unwrap().replayed


def _settle(
    future: asyncio.Future[Result[IdempotentAnswer, Problem]],
    outcome: Result[IdempotentAnswer, Problem] | BaseException,
) -> None:
    if future.cancelled():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


@post("/lead/capture", status_code=200)
async def async_capture(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Accept a Lead.Capture body for later (R-Q1): 200 with a RequestID once it is durably stored."""
    caller = await admit(request, ASYNC_CAPTURE_ACCESS)
    acceptor: InboxAcceptor = request.app.state.acceptor
    body = await json_body(request)
    behavior = query_of(request).get("leadupdatebehavior")
    structure = parse_behavior(behavior).bind(lambda _: coerce_attributes(body))
    if isinstance(structure, Failure):
        raise ApiError(structure.failure())
    answered = await acceptor.accept(
        body,
        behavior,
        access_key=caller.access_key,
        key=request.headers.get("idempotency-key"),
    )
    return idempotent_response(answered)


@get("/lead/status")
async def async_status(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Where an accepted request stands (R-Q2): In-Queue, Success, FAILURE or ERROR, with its answer."""
    caller = await admit(request, READ_ACCESS)
    request_id = query_of(request).get("requestid", "").strip().lower()
    inbox = _inbox(request)
    status = await anyio.to_thread.run_sync(inbox.status, request_id, caller.access_key) if request_id else None
    if status is None:
        raise ApiError(
            Problem(
                exception_type=ExceptionType.NOT_FOUND,
                message=f"No request with RequestId {request_id!r}",
                status=404,
                rule="R-Q2",
            ),
        )
    return json_answer(
        RequestStatusAnswer(
            request_id=status.request_id,
            task_status=TaskStatus(task_type=TASK_TYPE, status=status.status, status_reason=status.status_reason),
            message=msgspec.Raw(status.message) if status.message is not None else None,
        ),
    )


@get("/lead/capture/metrics")
async def async_metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The inbox's backlog (R-Q6): pending requests, the oldest one's wait, and requests done per minute."""
    await admit(request, READ_ACCESS)
    engine = engine_of(request)
    metrics = await anyio.to_thread.run_sync(_inbox(request).metrics, engine.now())
    return json_answer(
        InboxMetricsAnswer(
            pending_messages=metrics.pending,
            max_delay_in_seconds=metrics.max_delay_seconds,
            processing_rate_per_minute=metrics.processed_last_minute,
        ),
    )


ASYNC_ROUTES: Final = (async_capture, async_status, async_metrics)
