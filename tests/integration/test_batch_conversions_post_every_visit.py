"""A conversion written by a batch (`capture_many` on the SQL stores) puts every visit on the lead once (R-M6).

A batch reads its visitors when it begins and writes its conversions when it ends. A visit saved before the
batch began but after the Convert was decided is in the batch's image and goes on the lead with the
decision's visits; on PostgreSQL a visit may also be saved while the batch is open (SQLite's batch holds
the write lock), and the batch's write then posts it too (adr/0028).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from returns.result import Success
from tests.support.determinism import START, CountingIds, SteppingClock

from leadcapture import DEFAULT_SCHEMA, Convert, Engine, Visit, Visitor, candidate_query
from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.visits import visit_activity

VISITOR_ID = "d0000000-0000-4000-8000-00000000000d"
CAPTURE = {"ProspectId": VISITOR_ID, "EmailAddress": "a@example.com"}
FIRST = Visit(id="f0000000-0000-4000-8000-000000000000", visited_on=START, page_url="https://example.com/first")


def _later_visit(number: int) -> Visit:
    return Visit(
        id=f"f1000000-0000-4000-8000-00000000000{number}",
        visited_on=START + timedelta(hours=number),
        page_url=f"https://example.com/later-{number}",
    )


SQLStore = SQLiteLeadStore | PostgresLeadStore


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_store(request: pytest.FixtureRequest, sqlite_path: Path) -> Iterator[SQLStore]:
    """A new SQLite file or PostgreSQL database, closed afterwards."""
    store: SQLStore
    if request.param == "sqlite":
        store = SQLiteLeadStore(sqlite_path)
    else:
        store = PostgresLeadStore(request.getfixturevalue("postgres_url"))
    yield store
    store.close()


def _decide_convert(store: SQLStore) -> Convert:
    """The Convert of the visitor, decided on what the store holds now (with only its first visit)."""
    store.save_visitor(Visitor(id=VISITOR_ID, visits=(FIRST,)))
    engine = Engine(store=store, schema=DEFAULT_SCHEMA, clock=SteppingClock(), ids=CountingIds())
    decision = engine.preview(CAPTURE).unwrap()
    assert isinstance(decision, Convert), decision
    assert [activity.id for activity in decision.visit_activities] == [FIRST.id]
    return decision


def test_M6_a_batch_conversion_posts_the_visits_its_decision_did_not_read(sql_store: SQLStore) -> None:
    """A visit saved after the Convert was decided and before the batch began is posted on the lead."""
    convert = _decide_convert(sql_store)
    sql_store.save_visitor(Visitor(id=VISITOR_ID, visits=(FIRST, _later_visit(1))))
    request, _ = Engine(store=sql_store, schema=DEFAULT_SCHEMA).validate(CAPTURE).unwrap()
    with sql_store.transaction() as tx:
        batch = tx.batch([candidate_query(request, DEFAULT_SCHEMA)])
        assert batch.apply(convert) == Success(None)
        assert batch.flush() == Success(None)
    missed = visit_activity(VISITOR_ID, _later_visit(1))
    assert sql_store.activities(VISITOR_ID) == (convert.activity, missed, *convert.visit_activities)


def test_M6_a_visit_saved_while_a_batch_converts_on_postgres_is_posted_on_the_lead(postgres_url: str) -> None:
    """On PostgreSQL a visit saved after the batch read the visitor is posted by the batch's write, once."""
    store = PostgresLeadStore(postgres_url)
    try:
        convert = _decide_convert(store)
        request, _ = Engine(store=store, schema=DEFAULT_SCHEMA).validate(CAPTURE).unwrap()
        with store.transaction() as tx:
            batch = tx.batch([candidate_query(request, DEFAULT_SCHEMA)])
            # Another connection records a visit after the batch loaded the visitor, before it writes.
            assert store.save_visitor(Visitor(id=VISITOR_ID, visits=(FIRST, _later_visit(1)))) is False
            assert batch.apply(convert) == Success(None)
            assert batch.flush() == Success(None)
        late = visit_activity(VISITOR_ID, _later_visit(1))
        assert store.activities(VISITOR_ID) == (late, convert.activity, *convert.visit_activities)
        stored = store.visitor(VISITOR_ID)
        assert stored is not None
        assert stored.converted
    finally:
        store.close()
