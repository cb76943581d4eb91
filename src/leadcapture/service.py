"""The imperative shell: look up, decide, apply.

`Engine.capture` validates a request, asks the store for candidates, calls the pure `decide_capture`, and
applies the decision. `Engine.preview` runs the very same steps and stops before applying (R-D1). When the
store refuses a decision because the data changed meanwhile, the engine reads again and decides again, a
bounded number of times (R-M10).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Final, Protocol, assert_never, runtime_checkable

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.core.decide import NewIds, decide_capture
from leadcapture.core.decision import (
    CaptureDecision,
    CaptureReceipt,
    Convert,
    Create,
    Reject,
    Update,
    receipt_for,
)
from leadcapture.core.match import CandidateQuery, candidate_query
from leadcapture.core.names import ExceptionType, UpdateBehavior
from leadcapture.core.policies import LEAD_CAPTURE, CapturePolicy, MatchPolicy, looked_up_id
from leadcapture.core.problems import Problem
from leadcapture.core.request import CaptureRequest, check_request, parse_behavior, read_attributes
from leadcapture.core.schema import DEFAULT_SCHEMA, Schema
from leadcapture.core.values import ContactNormalizer
from leadcapture.normalize import STANDARD_NORMALIZER
from leadcapture.ports import (
    Clock,
    IdempotencyRecord,
    IdempotentStore,
    IdempotentTransaction,
    IdFactory,
    LeadStore,
    LeadTransaction,
    StoreConflict,
)
from leadcapture.runtime import SystemClock, UUID7Factory

DEFAULT_MAX_ATTEMPTS: Final = 8
BATCH_SIZE: Final = 1_000
"""Rows `Engine.capture_many` decides together before writing them, on stores that batch."""
DRY_RUN_IMAGE_LEADS: Final = 100_000
"""Leads a dry run keeps in memory before it writes them to its doomed transaction (adr/0058).

About 1 KB each: 100 MB, which keeps a million-row `leadcapture preview` within the import's memory budget.
"""
IDEMPOTENCY_TTL: Final = timedelta(hours=24)
"""How long an idempotency key replays its first answer."""
MAX_IDEMPOTENCY_KEY_LENGTH: Final = 255


class StoredAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """An HTTP answer as it is recorded for an idempotency key: status and body."""

    status: int
    body: bytes


class IdempotentAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to a request with an idempotency key, and whether it is the replay of an earlier one."""

    status: int
    body: bytes
    replayed: bool


def request_fingerprint(attributes: object, behavior: object = None) -> str:
    """A digest of a request's body and behaviour: the same key with another fingerprint is a conflict."""
    if isinstance(attributes, (bytes, bytearray, memoryview)):
        body = bytes(attributes)
    elif isinstance(attributes, str):
        body = attributes.encode()
    else:
        body = msgspec.json.encode(attributes)
    digest = hashlib.sha256(body)
    digest.update(b"\0" + str(behavior if behavior is not None else "").encode())
    return digest.hexdigest()


def check_idempotency_key(key: str) -> Problem | None:
    """Why `key` cannot be an idempotency key (1 to 255 visible ASCII characters), or None."""
    if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH or not all(" " < char <= "~" for char in key):
        return Problem(
            exception_type=ExceptionType.INVALID_INPUT,
            message="Idempotency-Key must be 1 to 255 visible ASCII characters",
            status=400,
            rule="R-Q5",
        )
    return None


class LeadBatch(LeadTransaction, Protocol):
    """A scope in which a batch of captures is decided before anything is written."""

    def flush(self, *, activities: bool = True) -> Result[None, StoreConflict]:
        """Write everything applied in the scope at once, or refuse it if the data changed meanwhile.

        `activities=False` writes the leads, index entries and visitors but not the activities: what a
        dry run's doomed transaction needs for later rows to read, and no more.
        """
        ...


class DryRunScope(LeadTransaction, Protocol):
    """A dry run's in-memory image of its store transaction: every call of the run decides and applies there."""

    def preload(self, queries: Iterable[CandidateQuery]) -> None:
        """Load, in a few statements, what deciding `queries` will read and the image has not read yet."""
        ...

    def __len__(self) -> int:
        """How many leads the image holds: what its memory grows with."""
        ...

    def flush(self, *, activities: bool = True) -> Result[None, StoreConflict]:
        """Write the image into the transaction (`activities=False`: without activities), or refuse to."""
        ...


@runtime_checkable
class DryRunTransaction(LeadTransaction, Protocol):
    """A transaction that can hand a dry run one image to decide all of its rows in, writing nothing."""

    def dry_run_scope(self) -> DryRunScope:
        """An empty image over this transaction, for all the batches of one dry run."""
        ...


@runtime_checkable
class BatchingTransaction(LeadTransaction, Protocol):
    """A transaction that can decide many captures in memory and write them together."""

    def batch(self, queries: Sequence[CandidateQuery]) -> LeadBatch:
        """A batch scope preloaded with what deciding `queries` reads."""
        ...


class Engine:
    """Captures leads into a store: `capture` applies, `preview` only decides.

    >>> from leadcapture import Engine, InMemoryLeadStore
    >>> engine = Engine(store=InMemoryLeadStore())
    >>> engine.capture({"EmailAddress": "wim@example.com"}).unwrap().outcome
    <Outcome.CREATED: 'Created'>
    """

    def __init__(  # noqa: PLR0913 - every collaborator is keyword-only and defaults to the real one
        self,
        *,
        store: LeadStore,
        schema: Schema = DEFAULT_SCHEMA,
        contacts: ContactNormalizer = STANDARD_NORMALIZER,
        clock: Clock | None = None,
        ids: IdFactory | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        """An engine over `store`; clock and ids default to the system clock and UUIDv7 GUIDs."""
        if max_attempts < 1:
            msg = "max_attempts must be at least 1"
            raise ValueError(msg)
        self.store = store
        self.schema = schema
        self._contacts = contacts
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._ids: IdFactory = ids if ids is not None else UUID7Factory()
        self._max_attempts = max_attempts

    def new_id(self) -> str:
        """A new GUID from the engine's id factory."""
        return self._ids.new_id()

    def now(self) -> datetime:
        """The current time from the engine's clock."""
        return self._clock.now()

    def validate(
        self,
        attributes: object,
        behavior: str | UpdateBehavior | None = None,
    ) -> Result[tuple[CaptureRequest, UpdateBehavior | None], Problem]:
        """Decode and check a request and its behaviour without reading the store (R-V1..R-V6)."""
        checked = self._checked(attributes, behavior)
        return Failure(checked) if isinstance(checked, Problem) else Success(checked)

    def _checked(
        self,
        attributes: object,
        behavior: str | UpdateBehavior | None,
    ) -> tuple[CaptureRequest, UpdateBehavior | None] | Problem:
        """`validate` as a plain union: this runs for every capture, and its callers make one container."""
        parsed: UpdateBehavior | None
        if behavior is None or isinstance(behavior, UpdateBehavior):
            parsed = behavior
        else:
            parsed_behavior = parse_behavior(behavior)
            if isinstance(parsed_behavior, Failure):
                problem: Problem = parsed_behavior.failure()
                return problem
            parsed = parsed_behavior.unwrap()
        raw = read_attributes(attributes)
        if isinstance(raw, Problem):
            return raw
        request = check_request(raw, self.schema, self._contacts)
        if isinstance(request, Problem):
            return request
        return request, parsed

    def decide(
        self,
        request: CaptureRequest,
        behavior: UpdateBehavior | None,
        *,
        reader: LeadTransaction | None = None,
        policy: MatchPolicy = LEAD_CAPTURE,
    ) -> CaptureDecision:
        """Read the candidates for a validated request (from `reader`, else the store) and decide it."""
        source: LeadTransaction = reader if reader is not None else self.store
        return self._decide(request, behavior, source, self._query(request, policy), policy)

    def _query(self, request: CaptureRequest, policy: MatchPolicy) -> CandidateQuery:
        """What the store must look up: the request's identifiers, and the id the policy acts on."""
        query = candidate_query(request, self.schema)
        if isinstance(policy, CapturePolicy):
            return query
        return msgspec.structs.replace(query, prospect_id=looked_up_id(policy, request))

    def _decide(
        self,
        request: CaptureRequest,
        behavior: UpdateBehavior | None,
        source: LeadTransaction,
        query: CandidateQuery,
        policy: MatchPolicy = LEAD_CAPTURE,
    ) -> CaptureDecision:
        """`decide` with the request's candidate query already made (a batch makes it to preload with)."""
        candidates = source.find_candidates(query)
        ids = NewIds(lead_id=self._ids.new_id(), activity_id=self._ids.new_id())
        return decide_capture(
            request,
            candidates,
            schema=self.schema,
            behavior=behavior,
            now=self._clock.now(),
            ids=ids,
            policy=policy,
        )

    def preview(
        self,
        attributes: object,
        behavior: str | UpdateBehavior | None = None,
        *,
        policy: MatchPolicy = LEAD_CAPTURE,
    ) -> Result[CaptureDecision, Problem]:
        """What `capture` would do with the current data, writing nothing (R-D1, R-D2, R-L10).

        A request that cannot be decided (bad input) is a `Failure`; anything else is the decision,
        a `Reject` included, with its explanation.
        """
        checked = self._checked(attributes, behavior)
        if isinstance(checked, Problem):
            return Failure(checked)
        return Success(self.decide(*checked, policy=policy))

    def preview_many(
        self,
        rows: Iterable[object],
        behavior: str | UpdateBehavior | None = None,
    ) -> list[Result[CaptureDecision, Problem]]:
        """What `capture_many` would do with these rows, in order, writing nothing (R-D1, R-D3).

        Each row is decided as if the rows before it had been captured: the decisions are applied inside a
        dry run (`dry_run`), so two rows with one email preview as Created, then Updated.
        `leadcapture.core.report.summarize` turns the answers into totals per outcome and rule.
        """
        with self.dry_run() as run:
            return [preview for chunk in _chunks(rows, BATCH_SIZE) for preview in run.preview_many(chunk, behavior)]

    @contextmanager
    def dry_run(self, *, image_leads: int = DRY_RUN_IMAGE_LEADS) -> Iterator[DryRun]:
        """A store transaction, rolled back when the block ends, in which rows are previewed in order.

        Each `DryRun.preview_many` call sees the rows of every call before it, as `capture_many` would, so
        a file can be previewed a batch at a time (R-D1, R-D3). On the SQL stores the calls decide in an
        in-memory image of the transaction, written to it only once it holds `image_leads` leads, so
        that memory stays bounded however long the file (adr/0058).
        """
        if image_leads < 1:
            msg = "image_leads must be at least 1"
            raise ValueError(msg)
        try:
            with self.store.transaction() as tx:
                yield DryRun(self, tx, image_leads=image_leads)
                raise _DryRunOver
        except _DryRunOver:
            pass

    def _preview_batch(
        self,
        run: DryRun,
        checked: list[Result[tuple[CaptureRequest, UpdateBehavior | None], Problem]],
    ) -> list[Result[CaptureDecision, Problem]]:
        """Decide validated rows in order inside the dry run, each seeing the ones before it."""
        valid = [pair for result in checked if (pair := result.value_or(None)) is not None]
        queries = [candidate_query(request, self.schema) for request, _ in valid]
        scope = run.scope(queries)
        next_query = iter(queries).__next__
        return [result.map(lambda pair: self._preview_in(scope, *pair, next_query())) for result in checked]

    def _preview_in(
        self,
        tx: LeadTransaction,
        request: CaptureRequest,
        behavior: UpdateBehavior | None,
        query: CandidateQuery,
    ) -> CaptureDecision:
        """Decide, and apply to the dry run's scope so that later rows see this one.

        Nobody else writes in the dry run's scope, so it accepts the decision it was read for.
        """
        decision = self._decide(request, behavior, tx, query)
        if not isinstance(decision, Reject):
            tx.apply(decision)
        return decision

    def capture(
        self,
        attributes: object,
        behavior: str | UpdateBehavior | None = None,
        *,
        policy: MatchPolicy = LEAD_CAPTURE,
    ) -> Result[CaptureReceipt, Problem]:
        """Create or update a lead from `attributes`, posting its Lead Capture activity.

        `attributes` is a Lead.Capture JSON body (bytes or str), a list of `{"Attribute","Value"}` dicts,
        or a plain `{name: value}` mapping; `behavior` is a `LeadUpdateBehavior` value. Another `policy`
        makes it one of the lead-management calls: `CreatePolicy()` (Lead.Create),
        `UpdateByIdPolicy(lead_id=...)` (Lead.Update), `CreateOrUpdatePolicy()` or
        `ConvertPolicy(visitor_id=...)`, which post no activity (R-L1..R-L4).
        """
        checked = self._checked(attributes, behavior)
        if isinstance(checked, Problem):
            return Failure(checked)
        with self.store.transaction() as tx:
            return self._capture_in(tx, *checked, policy=policy)

    def capture_request(
        self,
        request: CaptureRequest,
        behavior: UpdateBehavior | None,
        *,
        policy: MatchPolicy = LEAD_CAPTURE,
    ) -> Result[CaptureReceipt, Problem]:
        """Decide and apply a validated request in one store transaction."""
        with self.store.transaction() as tx:
            return self._capture_in(tx, request, behavior, policy=policy)

    def capture_many(
        self,
        rows: Iterable[object],
        behavior: str | UpdateBehavior | None = None,
        *,
        batch_size: int = BATCH_SIZE,
    ) -> list[Result[CaptureReceipt, Problem]]:
        """Capture many requests in one store transaction, in order, with one result per row.

        A later row sees what earlier rows did (two rows with one email give one lead, updated by the
        second). A row that fails changes nothing and does not undo the rows before it.

        A store whose transactions can batch (the SQL stores) reads what `batch_size` rows need in a few
        statements, decides them in memory, each row seeing the ones before it, and writes them with bulk
        statements; the answers are those row-by-row capturing gives. If another writer changed what a
        batch read before it was written, that batch is done again row by row.
        """
        if batch_size < 1:
            msg = "batch_size must be at least 1"
            raise ValueError(msg)
        results: list[Result[CaptureReceipt, Problem]] = []
        with self.store.transaction() as tx:
            for chunk in _chunks(rows, batch_size):
                checked = [self.validate(row, behavior) for row in chunk]
                if isinstance(tx, BatchingTransaction):
                    results.extend(self._capture_batch(tx, checked))
                else:
                    results.extend(pair.bind(lambda p: self._capture_in(tx, *p)) for pair in checked)
        return results

    def _capture_batch(
        self,
        tx: BatchingTransaction,
        checked: list[Result[tuple[CaptureRequest, UpdateBehavior | None], Problem]],
    ) -> list[Result[CaptureReceipt, Problem]]:
        """Decide validated rows against an in-memory batch scope, then write them all at once."""
        queries = []
        for result in checked:
            valid = result.value_or(None)
            if valid is not None:
                queries.append(candidate_query(valid[0], self.schema))
        scope = tx.batch(queries)
        next_query = iter(queries).__next__
        answers = [pair.bind(lambda p: self._capture_in(scope, *p, next_query())) for pair in checked]
        if isinstance(scope.flush(), Success):
            return answers
        # Another writer changed what the batch read: every row decides again on fresh data.
        return [pair.bind(lambda p: self._capture_in(tx, *p)) for pair in checked]

    def _capture_in(
        self,
        tx: LeadTransaction,
        request: CaptureRequest,
        behavior: UpdateBehavior | None,
        query: CandidateQuery | None = None,
        *,
        policy: MatchPolicy = LEAD_CAPTURE,
    ) -> Result[CaptureReceipt, Problem]:
        """Decide and apply inside `tx`, deciding again when the store reports a conflict (R-M10)."""
        if query is None:
            query = self._query(request, policy)
        for _ in range(self._max_attempts):
            decision = self._decide(request, behavior, tx, query, policy)
            if isinstance(tx.apply(decision), Success):
                return answer_for(decision)
        return Failure(
            Problem(
                exception_type=ExceptionType.BUSY,
                message="The lead kept changing under concurrent captures; retry the request.",
                status=503,
                rule="R-M10",
            ),
        )

    def capture_in(
        self,
        tx: LeadTransaction,
        attributes: object,
        behavior: str | UpdateBehavior | None = None,
        *,
        policy: MatchPolicy = LEAD_CAPTURE,
    ) -> Result[CaptureReceipt, Problem]:
        """Validate and capture inside a transaction the caller holds (which commits it with its own writes)."""
        return self.validate(attributes, behavior).bind(
            lambda checked: self._capture_in(tx, *checked, policy=policy),
        )

    def answer_once(
        self,
        *,
        scope: str,
        key: str,
        fingerprint: str,
        produce: Callable[[IdempotentTransaction], StoredAnswer],
        ttl: timedelta = IDEMPOTENCY_TTL,
    ) -> Result[IdempotentAnswer, Problem]:
        """Answer a request carrying an idempotency key once: later requests with the key get that answer.

        `produce` does the work inside a store transaction and returns the answer; the answer is recorded
        in that same transaction, so the work and its record are committed together or not at all. A key
        used again within `ttl` with the same `fingerprint` replays the recorded answer without calling
        `produce`; with another fingerprint it is a 400 naming the conflict. Answers with a 5xx status are
        not recorded (nothing was done; a retry may succeed). Keys are scoped (per endpoint and access key).
        """
        store = self.store
        if not isinstance(store, IdempotentStore):
            msg = f"{type(store).__name__} does not keep idempotency records"
            raise TypeError(msg)
        bad_key = check_idempotency_key(key)
        if bad_key is not None:
            return Failure(bad_key)
        for _ in range(self._max_attempts):
            try:
                with store.transaction() as tx:
                    return self.answer_once_in(
                        tx, scope=scope, key=key, fingerprint=fingerprint, produce=produce, ttl=ttl
                    )
            except IdempotencyKeyTaken:
                continue  # another request with the key committed first: replay its answer
        return Failure(
            Problem(
                exception_type=ExceptionType.BUSY,
                message="Requests with this Idempotency-Key kept racing; retry the request.",
                status=503,
                rule="R-Q5",
            ),
        )

    def answer_once_in(  # noqa: PLR0913 - the parts of `answer_once`, passed on unchanged
        self,
        tx: IdempotentTransaction,
        *,
        scope: str,
        key: str,
        fingerprint: str,
        produce: Callable[[IdempotentTransaction], StoredAnswer],
        ttl: timedelta = IDEMPOTENCY_TTL,
    ) -> Result[IdempotentAnswer, Problem]:
        """`answer_once` inside a transaction the caller holds (to commit several answers together).

        Raises `IdempotencyKeyTaken` when another transaction recorded the key meanwhile: the caller must
        roll back and try again, and will then replay that answer. The key must have been checked with
        `check_idempotency_key`.
        """
        now = self._clock.now()
        held = tx.idempotency_record(scope, key)
        if held is not None and held.expires_on > now:
            if held.fingerprint != fingerprint:
                return Failure(
                    Problem(
                        exception_type=ExceptionType.INVALID_INPUT,
                        message=(
                            f"Idempotency-Key {key!r} was already used with a different request body;"
                            " use a new key for a new request"
                        ),
                        status=400,
                        rule="R-Q5",
                    ),
                )
            return Success(IdempotentAnswer(status=held.status, body=held.body, replayed=True))
        answer = produce(tx)
        if answer.status >= 500:  # noqa: PLR2004 - the server-fault range
            return Success(IdempotentAnswer(status=answer.status, body=answer.body, replayed=False))
        record = IdempotencyRecord(
            scope=scope,
            key=key,
            fingerprint=fingerprint,
            status=answer.status,
            body=answer.body,
            created_on=now,
            expires_on=now + ttl,
        )
        if not tx.save_idempotency_record(record):
            raise IdempotencyKeyTaken
        return Success(IdempotentAnswer(status=answer.status, body=answer.body, replayed=False))

    def capture_idempotently(  # noqa: PLR0913 - the request, its key, and how to render its answer
        self,
        attributes: object,
        behavior: str | UpdateBehavior | None = None,
        *,
        scope: str,
        key: str,
        render: Callable[[Result[CaptureReceipt, Problem]], StoredAnswer],
        ttl: timedelta = IDEMPOTENCY_TTL,
        policy: MatchPolicy = LEAD_CAPTURE,
    ) -> Result[IdempotentAnswer, Problem]:
        """`capture`, once per idempotency key: a retry with the key and the same request replays the answer.

        `render` turns the capture's result into the answer recorded with the key (an HTTP status and body);
        the capture and the record are written in one store transaction (see `answer_once`). The policy is
        part of what a replay must match: the same key on another lead is another request.
        """
        return self.answer_once(
            scope=scope,
            key=key,
            fingerprint=request_fingerprint(
                attributes, behavior if isinstance(policy, CapturePolicy) else (behavior, policy)
            ),
            produce=lambda tx: render(self.capture_in(tx, attributes, behavior, policy=policy)),
            ttl=ttl,
        )

    def purge_idempotency_records(self) -> int:
        """Delete the idempotency records that have expired; how many went."""
        store = self.store
        if not isinstance(store, IdempotentStore):
            return 0
        return store.purge_idempotency_records(self._clock.now())


class DryRun:
    """Previews inside the rolled-back transaction of `Engine.dry_run`: each call sees the calls before it.

    On a store whose transaction offers a dry-run image (the SQL stores) the calls decide and apply in an
    in-memory image of the transaction, which preloads each batch's look-ups it has not made yet, so a
    later call reads what earlier ones did from memory instead of the database. Only once the image holds
    `image_leads` leads is it written to the transaction (without activities, which no decision reads)
    and a new one begun on top (adr/0058). Elsewhere decisions are applied to the transaction itself.
    """

    def __init__(self, engine: Engine, tx: LeadTransaction, *, image_leads: int = DRY_RUN_IMAGE_LEADS) -> None:
        """Preview with `engine` inside `tx` (which `Engine.dry_run` rolls back)."""
        self._engine = engine
        self._tx = tx
        self._image_leads = image_leads
        self._imaged = tx if isinstance(tx, DryRunTransaction) else None
        self._image = self._imaged.dry_run_scope() if self._imaged is not None else None

    def scope(self, queries: Sequence[CandidateQuery] = ()) -> LeadTransaction:
        """Where the run's next decisions are read and applied, with what deciding `queries` reads loaded."""
        image, imaged = self._image, self._imaged
        if image is None or imaged is None:
            return self._tx
        # Nobody else writes in the transaction (SQLite holds its write lock). Should the write still be
        # refused (a concurrent PostgreSQL writer took a value meanwhile), the image goes on: larger, still right.
        if len(image) >= self._image_leads and isinstance(image.flush(activities=False), Success):
            image = self._image = imaged.dry_run_scope()
        if queries:
            image.preload(queries)
        return image

    def preview_many(
        self,
        rows: Iterable[object],
        behavior: str | UpdateBehavior | None = None,
    ) -> list[Result[CaptureDecision, Problem]]:
        """What capturing these rows, after the rows of earlier calls, would do: one answer per row, in order.

        On stores that batch (the SQL stores) the rows are decided together in memory, as `capture_many`
        decides them; the answers are those row-by-row previewing gives.
        """
        engine = self._engine
        return engine._preview_batch(self, [engine.validate(row, behavior) for row in rows])

    def capture(
        self,
        attributes: object,
        behavior: str | UpdateBehavior | None = None,
        *,
        policy: MatchPolicy = LEAD_CAPTURE,
    ) -> Result[CaptureReceipt, Problem]:
        """What capturing these attributes would do after the calls before it: applied, then rolled back.

        The receipt's decision is the preview; a later call sees it, as a bulk call's later rows see the
        earlier ones (R-L7, R-L10).
        """
        return self._engine.capture_in(self.scope(), attributes, behavior, policy=policy)


def answer_for(decision: CaptureDecision) -> Result[CaptureReceipt, Problem]:
    """What an applied decision answers: a receipt, or the rejection's problem."""
    match decision:
        case Create() | Update() | Convert():
            return Success(receipt_for(decision))
        case Reject(problem=problem):
            return Failure(problem)
        case _:
            assert_never(decision)


class IdempotencyKeyTaken(Exception):  # noqa: N818 - a signal, not an error
    """Raised when another request recorded the idempotency key first: its transaction must be rolled back."""


class _DryRunOver(Exception):  # noqa: N818 - a signal, not an error
    """Raised at the end of a batch dry run so that the store rolls its transaction back."""


def _chunks(rows: Iterable[object], size: int) -> Iterator[list[object]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
