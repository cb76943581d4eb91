"""Group commit (adr/0033): captures that arrive together commit in one transaction, each answered exactly as
a capture of its own would be, and only after that transaction committed."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from returns.result import Failure, Result, Success
from tests.support.api import capture_body
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import CaptureReceipt, Engine, Problem
from leadcapture.adapters.sql import SQLTransaction
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.entrypoints.group_commit import GroupCommitWriter


class CountingSQLiteStore(SQLiteLeadStore):
    """The real SQLite store, counting the write transactions it opens."""

    transactions = 0

    @contextmanager
    def transaction(self) -> Iterator[SQLTransaction]:
        """Count, then open the store's own transaction."""
        self.transactions += 1
        with super().transaction() as tx:
            yield tx


BODIES = [
    capture_body(EmailAddress="asha@example.com", FirstName="Asha", Phone="9000000001"),
    capture_body(EmailAddress="ASHA@example.com", City="Pune"),  # updates the lead just made
    capture_body(EmailAddress="ben@example.com", Phone="9000000002"),
    capture_body(EmailAddress="asha@example.com", Phone="9000000002"),  # Ben's phone: 409
    capture_body(EmailAddress="not-an-email"),  # 400, changes nothing
    capture_body(Phone="+91 90000 00002", JobTitle="Engineer"),  # Ben, by phone
]


def _shape(result: Result[CaptureReceipt, Problem]) -> tuple[str, Any]:
    """What a client sees of an answer, without the ids and times that differ between two stores."""
    match result:
        case Success(receipt):
            return ("ok", (receipt.outcome, receipt.is_created))
        case Failure(problem):
            return ("error", (problem.status, problem.exception_type, problem.message))
    raise AssertionError(result)


def _leads(store: SQLiteLeadStore) -> list[dict[str, str]]:
    return sorted(
        ({k: v for k, v in lead.fields.items() if k not in {"CreatedOn", "ModifiedOn"}} for lead in store.leads()),
        key=lambda fields: fields.get("EmailAddress", ""),
    )


def _capture_activities(path: Path) -> int:
    """How many Lead Capture activities the database holds (a 400 posts none; a 409 posts its rejection)."""
    with closing(sqlite3.connect(path)) as conn:
        (count,) = conn.execute("SELECT count(*) FROM activities WHERE event_code = 23").fetchone()
    return int(count)


async def _capture_together(writer: GroupCommitWriter, bodies: list[bytes]) -> list[Result[CaptureReceipt, Problem]]:
    return list(await asyncio.gather(*(writer.capture(body, None) for body in bodies)))


def _queue_captures(
    writer: GroupCommitWriter, emails: list[str]
) -> list[asyncio.Future[Result[CaptureReceipt, Problem]]]:
    """Hand the writer a capture of each email, without waiting for the answers."""
    return [asyncio.ensure_future(writer.capture(capture_body(EmailAddress=email), None)) for email in emails]


@contextmanager
def _write_lock_held(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding the database's write lock until the block ends."""
    with closing(sqlite3.connect(path, isolation_level=None, check_same_thread=False)) as other:
        other.execute("BEGIN IMMEDIATE")
        try:
            yield other
        finally:
            other.execute("ROLLBACK")


def test_captures_arriving_together_are_answered_as_one_by_one_captures(tmp_path: Path) -> None:
    """Six captures in one group: the same answers and the same leads as six captures in a row."""
    grouped = SQLiteLeadStore(tmp_path / "grouped.db")
    serial = SQLiteLeadStore(tmp_path / "serial.db")
    try:
        grouped_engine = Engine(store=grouped, clock=SteppingClock(), ids=CountingIds(prefix=1))
        serial_engine = Engine(store=serial, clock=SteppingClock(), ids=CountingIds(prefix=2))
        writer = GroupCommitWriter(grouped_engine)
        try:
            answers = asyncio.run(_capture_together(writer, BODIES))
        finally:
            writer.stop()
        expected = [serial_engine.capture(body) for body in BODIES]

        assert [_shape(answer) for answer in answers] == [_shape(answer) for answer in expected]
        assert [_shape(answer)[0] for answer in answers] == ["ok", "ok", "ok", "error", "error", "ok"]
        assert _leads(grouped) == _leads(serial)
        assert _capture_activities(grouped.path) == _capture_activities(serial.path) == len(BODIES) - 1
    finally:
        grouped.close()
        serial.close()


def test_what_queues_during_a_commit_goes_in_the_next_transaction_together(tmp_path: Path) -> None:
    """While one capture waits for the write lock, 40 more queue up; they then commit in one transaction."""
    store = CountingSQLiteStore(tmp_path / "leads.db")
    writer = GroupCommitWriter(Engine(store=store))

    async def scenario() -> list[Result[CaptureReceipt, Problem]]:
        with _write_lock_held(store.path):
            [first] = _queue_captures(writer, ["first@example.com"])
            await asyncio.sleep(0.3)  # the writer has taken `first` and waits for the lock
            rest = _queue_captures(writer, [f"p{n}@example.com" for n in range(40)])
            await asyncio.sleep(0.1)
            assert not first.done()  # nothing is answered before its transaction commits
        return [await first, *[await answer for answer in rest]]

    try:
        answers = asyncio.run(scenario())
    finally:
        writer.stop()
        store.close()

    assert all(isinstance(answer, Success) for answer in answers)
    assert store.transactions == 2


def test_a_failing_group_fails_its_requests_and_the_writer_goes_on(tmp_path: Path) -> None:
    """An unexpected error while committing reaches the group's requests (a 500), and later captures work."""
    store = SQLiteLeadStore(tmp_path / "leads.db")
    engine = Engine(store=store)
    real_capture_many = engine.capture_many
    calls = 0

    def failing_once(rows: Any, behavior: Any = None) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            msg = "disk I/O error"
            raise sqlite3.OperationalError(msg)
        return real_capture_many(rows, behavior)

    engine.capture_many = failing_once  # type: ignore[method-assign]
    writer = GroupCommitWriter(engine)

    async def scenario() -> Result[CaptureReceipt, Problem]:
        with pytest.raises(sqlite3.OperationalError):
            await writer.capture(capture_body(EmailAddress="lost@example.com"), None)
        return await writer.capture(capture_body(EmailAddress="kept@example.com"), None)

    try:
        later = asyncio.run(scenario())
    finally:
        writer.stop()
    try:
        assert isinstance(later, Success)
        assert [lead.fields["EmailAddress"] for lead in store.leads()] == ["kept@example.com"]
    finally:
        store.close()


def test_stopping_applies_what_is_queued_first(tmp_path: Path) -> None:
    """`stop()` (the server shutting down) commits and answers every capture already queued."""
    store = SQLiteLeadStore(tmp_path / "leads.db")
    writer = GroupCommitWriter(Engine(store=store))

    async def scenario() -> list[Result[CaptureReceipt, Problem]]:
        with _write_lock_held(store.path):
            answers = _queue_captures(writer, [f"q{n}@example.com" for n in range(10)])
            await asyncio.sleep(0.2)
            stopper = threading.Thread(target=writer.stop)
            stopper.start()
            time.sleep(0.1)
        results = [await answer for answer in answers]
        stopper.join()
        return results

    try:
        results = asyncio.run(scenario())
        assert all(isinstance(result, Success) for result in results)
        assert len(store.leads()) == 10
    finally:
        store.close()
