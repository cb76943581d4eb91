"""Racing requests with one Idempotency-Key, on the real SQLite and PostgreSQL stores: one capture, one answer."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from returns.result import Result, Success
from tests.support.api import capture_body

from leadcapture.adapters.inbox import SQLInbox
from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.adapters.sql import SQLTransaction
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.decision import CaptureReceipt
from leadcapture.core.problems import Problem
from leadcapture.service import Engine, StoredAnswer, request_fingerprint

THREADS = 8
BODY = capture_body(EmailAddress="race@example.com", FirstName="Ann")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLiteLeadStore | PostgresLeadStore]:
    """A new SQLite file or PostgreSQL database; closed afterwards."""
    if request.param == "sqlite":
        made: SQLiteLeadStore | PostgresLeadStore = SQLiteLeadStore(tmp_path / "leads.db")
    else:
        made = PostgresLeadStore(request.getfixturevalue("postgres_url"))
    yield made
    made.close()


def _render(captured: Result[CaptureReceipt, Problem]) -> StoredAnswer:
    assert isinstance(captured, Success)
    return StoredAnswer(status=200, body=captured.unwrap().activity_id.encode())


def test_R_Q5_racing_lead_captures_with_one_key_capture_once(store: SQLiteLeadStore | PostgresLeadStore) -> None:
    """Eight threads send one keyed capture at once: one activity, and all eight get its answer."""
    engine = Engine(store=store)
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(
            pool.map(
                lambda _: engine.capture_idempotently(BODY, scope="s", key="k", render=_render).unwrap(),
                range(THREADS),
            ),
        )
    (lead,) = store.find_leads("EmailAddress", "race@example.com")
    activities = store.activities(lead.id)
    assert {answer.body for answer in answers} == {activities[0].id.encode()}
    assert len(activities) == 1
    assert sorted(answer.replayed for answer in answers) == [False] + [True] * (THREADS - 1)


def test_R_Q5_racing_async_submissions_with_one_key_queue_once(store: SQLiteLeadStore | PostgresLeadStore) -> None:
    """Eight threads queue one keyed request at once: one inbox row, and all eight get its RequestID."""
    engine = Engine(store=store)
    inbox = SQLInbox(store)

    def queue_once(tx: object) -> StoredAnswer:
        assert isinstance(tx, SQLTransaction)
        request_id = engine.new_id()
        inbox.accept_in(
            tx, request_id=request_id, access_key="k", body=BODY, behavior=None, identifiers=(), now=engine.now()
        )
        return StoredAnswer(status=200, body=request_id.encode())

    def submit(_: int) -> bytes:
        answered = engine.answer_once(scope="a", key="k", fingerprint=request_fingerprint(BODY), produce=queue_once)
        return answered.unwrap().body

    with ThreadPoolExecutor(THREADS) as pool:
        request_ids = set(pool.map(submit, range(THREADS)))
    pending = inbox.metrics(engine.now()).pending
    assert len(request_ids) == 1
    assert pending == 1
