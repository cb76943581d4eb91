"""`Engine.capture_many` on the SQL stores answers exactly as capturing the same rows one by one does.

The SQL stores decide a batch in memory and write it with bulk statements (`leadcapture.adapters.batch`).
A Hypothesis state machine runs random batches through `capture_many` on SQLite and PostgreSQL and the
same rows through `Engine.capture`, one transaction each, on the in-memory reference store, with the same
clock and id sequences, and compares every answer and, after every step, every lead, unique and lookup
value, activity and visitor (R-M10, R-U, R-A1); dry runs fed in batches preview as row by row (R-D3).
Other tests pin the fallback: a batch whose write is refused (an id taken, a value captured by another
writer meanwhile) is done again row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from returns.result import Failure, Result, Success
from tests.support.agreement import assert_stores_agree, empty_sql_stores
from tests.support.determinism import START, CountingIds, SteppingClock

from leadcapture import (
    DEFAULT_SCHEMA,
    Account,
    Engine,
    InMemoryLeadStore,
    Outcome,
    Schema,
    UpdateBehavior,
    Visit,
    Visitor,
    schema_from_toml,
)
from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.adapters.sql import SQLTransaction
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.match import CandidateQuery
from leadcapture.service import DRY_RUN_IMAGE_LEADS

ACCOUNT = "cccccccc-0000-4000-8000-000000000001"
UNKNOWN_ACCOUNT = "cccccccc-0000-4000-8000-000000000002"
UNKNOWN_PROSPECT = "dddddddd-0000-4000-8000-000000000001"

NON_UNIQUE_PHONE = schema_from_toml("[fields.Phone]\nis_unique = false").unwrap()
IDENTITIES = 5
behaviors = st.sampled_from([None, *UpdateBehavior])
identity = st.integers(0, IDENTITIES - 1)
phone_forms = st.sampled_from(["90000{:05d}", "+91 90000 {:05d}", "090000{:05d}"])


@st.composite
def rows(draw: st.DrawFn, prospects: list[str]) -> dict[str, Any]:
    """One capture over a small pool of identities: matches, updates, clashes, cleared values and bad input."""
    body: dict[str, Any] = {}
    if draw(st.booleans()):
        email = f"person{draw(identity)}@example.com"
        body["EmailAddress"] = draw(st.sampled_from([email, email.upper(), "not-an-email"]))
    if draw(st.booleans()):
        body["Phone"] = draw(st.one_of(phone_forms.map(lambda form: form.format(draw(identity))), st.just("")))
    if draw(st.booleans()):
        body["Mobile"] = draw(st.sampled_from([f"80000{draw(identity):05d}", ""]))
    body["FirstName"] = draw(st.sampled_from(["Asha", "Ben", "", None]))
    if draw(st.booleans()):
        body["Source"] = draw(st.sampled_from(["Google", "Newsletter", ""]))
    if draw(st.booleans()):
        body["SearchBy"] = draw(st.sampled_from(["EmailAddress", "Phone", "Mobile"]))
    if prospects and draw(st.integers(0, 3)) == 0:
        body["ProspectId"] = draw(st.sampled_from([*prospects, UNKNOWN_PROSPECT]))
    if draw(st.integers(0, 5)) == 0:
        body["RelatedCompanyId"] = draw(st.sampled_from([ACCOUNT, UNKNOWN_ACCOUNT]))
    return body


class BatchesAgree(RuleBasedStateMachine):
    """Batches through capture_many on the SQL stores, the same rows one by one on the reference store."""

    sqlite_store: SQLiteLeadStore
    postgres_store: PostgresLeadStore
    schema: Schema

    def __init__(self) -> None:
        """Empty stores, each behind an engine with the same clock and id sequences."""
        super().__init__()
        empty_sql_stores(self.sqlite_store, self.postgres_store)
        self.reference = InMemoryLeadStore()
        self.stores: list[Any] = [self.reference, self.sqlite_store, self.postgres_store]
        self.engines = [
            Engine(store=s, schema=self.schema, clock=SteppingClock(), ids=CountingIds()) for s in self.stores
        ]
        self.prospects: list[str] = []
        self.visitor_numbers = iter(range(1, 10_000))

    def _remember(self, answers: list[Result[Any, Any]]) -> None:
        for answer in answers:
            receipt = answer.value_or(None)
            if receipt is not None and receipt.lead_id not in self.prospects:
                self.prospects.append(receipt.lead_id)

    @rule(data=st.data(), behavior=behaviors, batch_size=st.sampled_from([1, 2, 5, 1_000]))
    def capture_many(self, data: st.DataObject, behavior: UpdateBehavior | None, batch_size: int) -> None:
        """Every row of a batch answers as it does when captured on its own, in order."""
        batch = data.draw(st.lists(rows(self.prospects), min_size=1, max_size=12))
        reference, *sql_engines = self.engines
        expected = [reference.capture(body, behavior) for body in batch]
        for engine in sql_engines:
            assert engine.capture_many(batch, behavior, batch_size=batch_size) == expected
        self._remember(expected)

    @rule(
        data=st.data(),
        behavior=behaviors,
        batch_size=st.sampled_from([1, 3, 1_000]),
        image_leads=st.sampled_from([1, 2, DRY_RUN_IMAGE_LEADS]),
    )
    def dry_run(self, data: st.DataObject, behavior: UpdateBehavior | None, batch_size: int, image_leads: int) -> None:
        """A dry run fed a batch at a time previews every row as previewing row by row does; it writes nothing.

        Small `image_leads` make the run write its in-memory image to the doomed transaction between batches.
        The invariant then checks every store is as it was: the doomed transaction was rolled back.
        """
        batch = data.draw(st.lists(rows(self.prospects), min_size=1, max_size=12))
        reference, *sql_engines = self.engines
        expected = reference.preview_many(batch, behavior)
        for engine in sql_engines:
            with engine.dry_run(image_leads=image_leads) as run:
                previews = [
                    preview
                    for start in range(0, len(batch), batch_size)
                    for preview in run.preview_many(batch[start : start + batch_size], behavior)
                ]
            assert previews == expected

    @rule(data=st.data(), behavior=behaviors)
    def capture(self, data: st.DataObject, behavior: UpdateBehavior | None) -> None:
        """A single capture (the per-row path) answers the same everywhere."""
        body = data.draw(rows(self.prospects))
        answers = [engine.capture(body, behavior) for engine in self.engines]
        assert answers[1] == answers[0]
        assert answers[2] == answers[0]
        self._remember(answers[:1])

    @rule(source=st.sampled_from(["Google", "Newsletter", ""]))
    def new_visitor(self, source: str) -> None:
        """An anonymous visitor with one visit, whose id later rows may give as ProspectId (R-M6)."""
        number = next(self.visitor_numbers)
        visitor_id = f"aaaaaaaa-0000-4000-8000-{number:012x}"
        visit = Visit(
            id=f"bbbbbbbb-0000-4000-8000-{number:012x}",
            visited_on=START,
            page_url=f"https://example.com/?utm_source={source}",
            source={"Source": source} if source else {},
        )
        for store in self.stores:
            store.save_visitor(Visitor(id=visitor_id, visits=(visit,)))
        self.prospects.append(visitor_id)

    @rule()
    def add_account(self) -> None:
        """The account rows may link to (R-A3) exists from now on."""
        for store in self.stores:
            store.add_account(Account(id=ACCOUNT, name="Acme", created_on=START))

    @invariant()
    def stores_agree(self) -> None:
        """Leads, their values, their activities and the visitors are identical in every store."""
        assert_stores_agree(self.stores, self.prospects)


@pytest.fixture(params=["standard schema", "Phone not unique"])
def batches_agree(request: pytest.FixtureRequest, sqlite_path: Path, postgres_url: str) -> Iterator[type[BatchesAgree]]:
    """The machine wired to one SQLite file and one PostgreSQL database, emptied before every run.

    With Phone not unique, a phone may have several holders (lookup values, R-M8's most recent one wins).
    """
    sqlite_store = SQLiteLeadStore(sqlite_path, synchronous="NORMAL")
    postgres_store = PostgresLeadStore(postgres_url)
    BatchesAgree.sqlite_store = sqlite_store
    BatchesAgree.postgres_store = postgres_store
    BatchesAgree.schema = DEFAULT_SCHEMA if request.param == "standard schema" else NON_UNIQUE_PHONE
    yield BatchesAgree
    sqlite_store.close()
    postgres_store.close()


def test_M10_capture_many_answers_as_capturing_row_by_row(batches_agree: type[BatchesAgree]) -> None:
    """Random batches give the answers and the data that capturing their rows one by one gives (R-M10)."""
    run = batches_agree.TestCase
    run.settings = settings(
        max_examples=30,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    run().runTest()


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_store(request: pytest.FixtureRequest, sqlite_path: Path) -> Iterator[SQLiteLeadStore | PostgresLeadStore]:
    """A new SQLite or PostgreSQL store."""
    if request.param == "sqlite":
        store: SQLiteLeadStore | PostgresLeadStore = SQLiteLeadStore(sqlite_path, synchronous="NORMAL")
    else:
        store = PostgresLeadStore(request.getfixturevalue("postgres_url"))
    yield store
    store.close()


def _outcomes(answers: list[Result[Any, Any]]) -> list[Outcome | str]:
    return [answer.map(lambda r: r.outcome).value_or("failed") for answer in answers]


def test_M8_a_later_row_of_a_batch_sees_what_earlier_rows_did(sql_store: SQLiteLeadStore | PostgresLeadStore) -> None:
    """In one batch: a lead is created then updated by email, loses its phone, and another lead takes it."""
    engine = Engine(store=sql_store, clock=SteppingClock(), ids=CountingIds())
    answers = engine.capture_many(
        [
            {"EmailAddress": "asha@example.com", "Phone": "9000000001"},
            {"EmailAddress": "ASHA@example.com", "FirstName": "Asha"},
            {"EmailAddress": "asha@example.com", "Phone": ""},
            {"EmailAddress": "ben@example.com", "Phone": "+91 90000 00001"},
            {"EmailAddress": "not-an-email"},
            {"Phone": "9000000001", "FirstName": "Ben"},
        ],
    )
    assert _outcomes(answers) == [
        Outcome.CREATED,
        Outcome.UPDATED,
        Outcome.UPDATED,
        Outcome.CREATED,
        "failed",
        Outcome.UPDATED,
    ]
    asha, ben = sql_store.leads()
    assert asha.fields == {"EmailAddress": "asha@example.com", "FirstName": "Asha"}
    assert ben.fields == {"EmailAddress": "ben@example.com", "Phone": "+91-9000000001", "FirstName": "Ben"}
    assert [entry.field for entry in sql_store.index_entries(asha.id)] == ["EmailAddress"]
    assert len(sql_store.activities(asha.id)) == 3
    assert len(sql_store.activities(ben.id)) == 2


def test_M8_a_batch_reads_every_holder_of_a_shared_value_as_capturing_alone_does(
    sql_store: SQLiteLeadStore | PostgresLeadStore,
) -> None:
    """With Phone not unique, five leads come to share a phone inside a batch; later rows see all five (R-M8)."""
    bodies: list[dict[str, Any]] = [{"EmailAddress": f"p{n}@example.com", "Phone": f"900000010{n}"} for n in range(5)]
    bodies += [{"EmailAddress": f"p{n}@example.com", "Phone": "9000000001"} for n in (3, 0, 4, 1, 2)]
    bodies += [{"Phone": "9000000001", "FirstName": "Any"}, {"EmailAddress": "p2@example.com", "Phone": ""}]
    bodies += [{"Phone": "+91 90000 00001", "City": "Pune"}]
    reference = Engine(store=InMemoryLeadStore(), schema=NON_UNIQUE_PHONE, clock=SteppingClock(), ids=CountingIds())
    expected = [reference.capture(body) for body in bodies]
    engine = Engine(store=sql_store, schema=NON_UNIQUE_PHONE, clock=SteppingClock(), ids=CountingIds())
    assert engine.capture_many(bodies) == expected
    lookups = expected[10].unwrap().decision.explanation.lookups
    assert len(lookups[0].lead_ids) == 5
    assert list(lookups[0].lead_ids) == sorted(lookups[0].lead_ids)


class _ScriptedIds:
    """Ids from a list first, then from a counter: a way to hand a batch an id that is already taken."""

    def __init__(self, first: list[str]) -> None:
        self._first = iter(first)
        self._then = CountingIds(prefix=9)

    def new_id(self) -> str:
        return next(self._first, None) or self._then.new_id()


@pytest.mark.parametrize("batch_size", [1_000, 1], ids=["first write of the transaction", "after a batch"])
def test_M10_a_batch_whose_write_is_refused_is_done_again_row_by_row(
    sql_store: SQLiteLeadStore | PostgresLeadStore,
    batch_size: int,
) -> None:
    """A new lead id that turns out to be taken refuses the bulk write; that batch is captured row by row."""
    taken = Engine(store=sql_store, ids=CountingIds()).capture({"EmailAddress": "first@example.com"}).unwrap()
    fresh = ["aaaaaaaa-0000-7000-8000-000000000001", "aaaaaaaa-0000-7000-8000-000000000002"]
    engine = Engine(store=sql_store, ids=_ScriptedIds([*fresh, taken.lead_id, taken.activity_id]))
    bodies = [{"EmailAddress": "zero@example.com"}, {"EmailAddress": "second@example.com"}]
    answers = engine.capture_many(bodies, batch_size=batch_size)
    assert _outcomes(answers) == [Outcome.CREATED, Outcome.CREATED]
    emails = sorted(lead.fields["EmailAddress"] for lead in sql_store.leads())
    assert emails == ["first@example.com", "second@example.com", "zero@example.com"]
    second = answers[1].unwrap()
    assert second.lead_id not in (taken.lead_id, *fresh)
    assert [a.id for a in sql_store.activities(second.lead_id)] == [second.activity_id]
    assert [a.id for a in sql_store.activities(taken.lead_id)] == [taken.activity_id]


class _RacingStore:
    """A store whose batches meet another writer: `race` runs just before a batch is written."""

    def __init__(self, store: PostgresLeadStore, race: Callable[[], None]) -> None:
        self.store = store
        self.race = race

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.store.transaction() as tx:
            yield _RacingTransaction(tx, self.race)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


class _RacingTransaction:
    def __init__(self, tx: Any, race: Callable[[], None]) -> None:
        self._tx = tx
        self._race = race

    def find_candidates(self, query: CandidateQuery) -> Any:
        return self._tx.find_candidates(query)

    def apply(self, decision: Any) -> Any:
        return self._tx.apply(decision)

    def batch(self, queries: Any) -> Any:
        return _RacingBatch(self._tx.batch(queries), self._race)


class _RacingBatch:
    def __init__(self, batch: Any, race: Callable[[], None]) -> None:
        self._batch = batch
        self._race = race

    def find_candidates(self, query: CandidateQuery) -> Any:
        return self._batch.find_candidates(query)

    def apply(self, decision: Any) -> Any:
        return self._batch.apply(decision)

    def flush(self) -> Any:
        self._race()
        return self._batch.flush()


@pytest.mark.parametrize("batch_size", [1_000, 1], ids=["first write of the transaction", "after a batch"])
def test_M10_a_lead_captured_elsewhere_during_a_batch_is_updated_not_duplicated(
    postgres_url: str,
    batch_size: int,
) -> None:
    """Another process captures a batch row's email just before the batch is written: the row updates that lead.

    In one batch, the row's new lead clashes with the other process's; batch by batch, the other process
    has also updated the lead since the batch read it. Either way the batch is done again row by row.
    """
    store = PostgresLeadStore(postgres_url)
    other = PostgresLeadStore(postgres_url)
    try:
        racer = Engine(store=other)

        def race() -> None:
            # Another connection: the batch has only read so far, so nothing makes this capture wait.
            assert isinstance(racer.capture({"EmailAddress": "b@example.com", "City": "Pune"}), Success)

        engine = Engine(store=_RacingStore(store, race))
        answers = engine.capture_many(
            [{"EmailAddress": "a@example.com"}, {"EmailAddress": "b@example.com", "FirstName": "Ben"}],
            batch_size=batch_size,
        )
        assert _outcomes(answers) == [Outcome.CREATED, Outcome.UPDATED]
        (held,) = store.find_leads("EmailAddress", "b@example.com")
        assert answers[1].unwrap().lead_id == held.id
        assert held.fields == {"EmailAddress": "b@example.com", "City": "Pune", "FirstName": "Ben"}
        assert len(store.leads()) == 2
    finally:
        store.close()
        other.close()


def test_capture_many_refuses_an_empty_batch_size() -> None:
    """A batch size below one is a programming error, refused before anything is read."""
    with pytest.raises(ValueError, match="batch_size"):
        Engine(store=InMemoryLeadStore()).capture_many([{"EmailAddress": "a@example.com"}], batch_size=0)


def test_capture_many_of_bad_rows_answers_each_with_its_problem(sql_store: SQLiteLeadStore | PostgresLeadStore) -> None:
    """Rows that fail validation answer their own problem and leave the store untouched."""
    engine = Engine(store=sql_store)
    answers = engine.capture_many([{"EmailAddress": "nope"}, {"Nonsense": "x"}], "NotABehaviour")
    assert all(isinstance(answer, Failure) for answer in answers)
    assert sql_store.leads() == ()


def test_D3_a_dry_run_keeps_its_leads_in_memory_then_writes_them_without_activities(
    sql_store: SQLiteLeadStore | PostgresLeadStore,
) -> None:
    """Later batches read earlier ones from memory; past `image_leads` leads they go to the doomed transaction.

    There they are leads and values, no activities: no decision reads activities (R-D3, adr/0058).
    """
    engine = Engine(store=sql_store, clock=SteppingClock(), ids=CountingIds())
    with engine.dry_run(image_leads=2) as run:
        (first,) = run.preview_many([{"EmailAddress": "asha@example.com", "Phone": "9000000001"}])
        (second,) = run.preview_many([{"Phone": "+91 90000 00001", "FirstName": "Asha"}])
        lead_id = first.unwrap().lead.id
        assert second.unwrap().explanation.outcome is Outcome.UPDATED
        assert second.unwrap().explanation.lead_id == lead_id
        doomed = run._tx
        assert isinstance(doomed, SQLTransaction)
        assert doomed.get_lead(lead_id) is None  # one lead in memory: nothing written yet
        run.preview_many([{"EmailAddress": "ben@example.com"}])
        (third,) = run.preview_many([{"EmailAddress": "ASHA@example.com", "City": "Pune"}])
        assert third.unwrap().explanation.outcome is Outcome.UPDATED
        assert third.unwrap().explanation.lead_id == lead_id
        written = doomed.get_lead(lead_id)  # two leads reached the bound: written before the fourth call
        assert written is not None
        assert written.fields["FirstName"] == "Asha"
        assert doomed.activities(lead_id) == ()
    assert sql_store.leads() == ()


def test_D3_a_dry_run_whose_first_batches_read_and_write_nothing_still_writes_nothing(
    sql_store: SQLiteLeadStore | PostgresLeadStore,
) -> None:
    """Rows that need no look-up (bad input, then a lead with no email or phone) stay inside the dry run.

    On PostgreSQL the first of them begins no transaction at the server; the next write must begin the dry
    run's transaction, not commit one of its own (R-D3).
    """
    engine = Engine(store=sql_store, clock=SteppingClock(), ids=CountingIds())
    with engine.dry_run() as run:
        (refused,) = run.preview_many([{"EmailAddress": "not-an-email"}])
        (created,) = run.preview_many([{"FirstName": "Asha"}])
        (again,) = run.preview_many([{"FirstName": "Ben"}])
    assert isinstance(refused, Failure)
    assert created.unwrap().explanation.outcome is Outcome.CREATED
    assert again.unwrap().explanation.outcome is Outcome.CREATED
    assert sql_store.leads() == ()


def test_M10_a_capture_after_a_batch_that_wrote_nothing_commits_with_its_transaction(
    sql_store: SQLiteLeadStore | PostgresLeadStore,
) -> None:
    """A batch that writes nothing, then one that does: the second's rows are written once, and answered alike."""
    engine = Engine(store=sql_store, clock=SteppingClock(), ids=CountingIds())
    answers = engine.capture_many([{"EmailAddress": "not-an-email"}, {"FirstName": "Asha"}], batch_size=1)
    assert isinstance(answers[0], Failure)
    (lead,) = sql_store.leads()
    assert lead.id == answers[1].unwrap().lead_id
    assert len(sql_store.activities(lead.id)) == 1
