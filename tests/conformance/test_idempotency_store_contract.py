"""The idempotency part of the store contract (`IdempotentStore`), run against every store of `STORE_FACTORIES`.

A record is written in the transaction of the capture it answers: both commit, or neither does. A live
record of a key is never replaced; an expired one is, and the purge removes only expired records.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from returns.result import Failure, Result, Success
from tests.conformance.test_lead_store_contract import STORE_FACTORIES
from tests.support.determinism import START, CountingIds

from leadcapture import CaptureReceipt, Engine, LeadStore, Problem
from leadcapture.ports import IdempotencyRecord, IdempotentStore
from leadcapture.service import StoredAnswer

SCOPE = "Lead.Capture:key-1"
BODY = b'[{"Attribute":"EmailAddress","Value":"once@example.com"}]'


class SettableClock:
    """A clock that stays where a test puts it."""

    def __init__(self, moment: datetime = START) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture(params=[pytest.param(factory, id=name) for name, factory in STORE_FACTORIES])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IdempotentStore]:
    """A new, empty store of each kind, seen through the idempotency port."""
    made: LeadStore = request.param(tmp_path, request)
    assert isinstance(made, IdempotentStore)
    yield made
    close = getattr(made, "close", None)
    if callable(close):
        close()


def _record(
    key: str, *, created: datetime = START, ttl: timedelta = timedelta(hours=24), status: int = 200
) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=SCOPE,
        key=key,
        fingerprint="f" * 64,
        status=status,
        body=b'{"Status":"Success"}',
        created_on=created,
        expires_on=created + ttl,
    )


def _render(captured: Result[CaptureReceipt, Problem]) -> StoredAnswer:
    if isinstance(captured, Success):
        return StoredAnswer(status=200, body=captured.unwrap().lead_id.encode())
    return StoredAnswer(status=captured.failure().status, body=captured.failure().message.encode())


def test_a_saved_record_is_read_back_exactly(store: IdempotentStore) -> None:
    """What is saved in a transaction is what the key reads afterwards; an unknown key reads None."""
    record = _record("k1")
    with store.transaction() as tx:
        assert tx.save_idempotency_record(record) is True
    with store.transaction() as tx:
        assert tx.idempotency_record(SCOPE, "k1") == record
        assert tx.idempotency_record(SCOPE, "other") is None
        assert tx.idempotency_record("Lead.Capture:key-2", "k1") is None


def test_a_live_record_is_never_replaced(store: IdempotentStore) -> None:
    """Saving a key again while its record is live is refused and leaves the first record."""
    first = _record("k1")
    with store.transaction() as tx:
        tx.save_idempotency_record(first)
    with store.transaction() as tx:
        assert tx.save_idempotency_record(_record("k1", created=START + timedelta(hours=1), status=409)) is False
    with store.transaction() as tx:
        assert tx.idempotency_record(SCOPE, "k1") == first


def test_an_expired_record_is_replaced(store: IdempotentStore) -> None:
    """Once a record has expired, the key can be recorded again."""
    with store.transaction() as tx:
        tx.save_idempotency_record(_record("k1"))
    later = _record("k1", created=START + timedelta(hours=25), status=409)
    with store.transaction() as tx:
        assert tx.save_idempotency_record(later) is True
    with store.transaction() as tx:
        assert tx.idempotency_record(SCOPE, "k1") == later


def test_a_rolled_back_transaction_keeps_neither_capture_nor_record(store: IdempotentStore) -> None:
    """The record commits with the capture: an exception in the block undoes both."""
    engine = Engine(store=store, clock=SettableClock(), ids=CountingIds())  # type: ignore[arg-type]

    class CrashError(Exception):
        pass

    receipts = []

    def capture_then_crash() -> None:
        with store.transaction() as tx:
            receipts.append(engine.capture_in(tx, BODY).unwrap())
            tx.save_idempotency_record(_record("k1"))
            raise CrashError

    with pytest.raises(CrashError):
        capture_then_crash()
    receipt = receipts[0]
    with store.transaction() as tx:
        assert tx.idempotency_record(SCOPE, "k1") is None
    assert engine.store.get_lead(receipt.lead_id) is None


def test_purge_removes_only_expired_records(store: IdempotentStore) -> None:
    """`purge_idempotency_records(before)` deletes records expired at `before` and keeps live ones."""
    with store.transaction() as tx:
        tx.save_idempotency_record(_record("old", ttl=timedelta(hours=1)))
        tx.save_idempotency_record(_record("new", ttl=timedelta(hours=24)))
    assert store.purge_idempotency_records(START + timedelta(hours=2)) == 1
    with store.transaction() as tx:
        assert tx.idempotency_record(SCOPE, "old") is None
        assert tx.idempotency_record(SCOPE, "new") is not None


def test_capture_idempotently_replays_conflicts_and_expires(store: IdempotentStore) -> None:
    """Same key and body: the first answer again and no second capture; another body: a 400; after 24 h: new."""
    clock = SettableClock()
    engine = Engine(store=store, clock=clock, ids=CountingIds())  # type: ignore[arg-type]
    first = engine.capture_idempotently(BODY, scope=SCOPE, key="k1", render=_render).unwrap()
    assert first.replayed is False
    lead_id = first.body.decode()
    clock.moment = START + timedelta(hours=23)
    again = engine.capture_idempotently(BODY, scope=SCOPE, key="k1", render=_render).unwrap()
    assert (again.status, again.body, again.replayed) == (200, first.body, True)
    assert len(engine.store.activities(lead_id)) == 1
    other = engine.capture_idempotently(BODY.replace(b"once", b"twice"), scope=SCOPE, key="k1", render=_render)
    assert isinstance(other, Failure)
    assert other.failure().status == 400
    assert "Idempotency-Key" in other.failure().message
    clock.moment = START + timedelta(hours=24, seconds=1)
    expired = engine.capture_idempotently(BODY, scope=SCOPE, key="k1", render=_render).unwrap()
    assert expired.replayed is False
    assert len(engine.store.activities(lead_id)) == 2
