"""The async capture inbox (R-Q1..R-Q6): accepted requests kept in the leads' own database.

A request is accepted by inserting it, with the identifiers it touches, in a transaction that commits before
the answer is sent. A worker claims due requests, applies each with the engine and marks it done in one
transaction with the capture itself: a crash before the commit leaves the request pending and the leads
untouched; after it, the request is done and never applied again.

Ordering (R-Q4): `capture_inbox_identifiers` holds the match keys (email, phone, ProspectId, ...) of every
pending request, and a request is claimable only when no earlier pending request shares one of them. On
PostgreSQL the claim is `SELECT ... FOR UPDATE SKIP LOCKED`, so several workers share one inbox: a request
one worker holds is skipped by the others, and the requests behind it wait, because it is still pending.
On SQLite the claim runs inside `BEGIN IMMEDIATE`, which holds the database's single write lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

import msgspec

from leadcapture.adapters.dbapi import to_micros
from leadcapture.adapters.sql import SQLTransaction
from leadcapture.adapters.sqlstore import SQLStoreBase

IN_QUEUE: Final = "In-Queue"
SUCCESS: Final = "Success"
FAILURE: Final = "FAILURE"
ERROR: Final = "ERROR"
_MICROS_PER_SECOND: Final = 1_000_000


class QueuedRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A pending request as a worker claims it."""

    seq: int
    request_id: str
    body: bytes
    behavior: str | None
    attempts: int
    """How many times applying it already failed with a system fault."""


class RequestStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Where an accepted request stands (R-Q2); `message` is the synchronous answer's JSON, once there is one."""

    request_id: str
    status: str
    status_reason: str | None
    message: bytes | None


class InboxMetrics(msgspec.Struct, frozen=True, kw_only=True):
    """R-Q6: how many requests wait, how long the oldest has waited, how many finished in the last minute."""

    pending: int
    max_delay_seconds: int
    processed_last_minute: int


class InboxStatements:
    """The inbox's SQL for one driver's placeholder style."""

    def __init__(self, dialect: str) -> None:
        """Render the statements for `sqlite` or `postgresql`."""
        placeholder = "?" if dialect == "sqlite" else "%s"

        def sql(text: str) -> str:
            return text.replace("?", placeholder)

        self.insert = sql(
            "INSERT INTO capture_inbox"
            " (request_id, access_key, body, behavior, status, attempts, accepted_on, next_attempt_on)"
            " VALUES (?, ?, ?, ?, 'In-Queue', 0, ?, ?) RETURNING seq",
        )
        self.insert_identifier = sql("INSERT INTO capture_inbox_identifiers (identifier, seq) VALUES (?, ?)")
        claim = (
            "SELECT r.seq, r.request_id, r.body, r.behavior, r.attempts FROM capture_inbox r"
            " WHERE r.next_attempt_on <= ? AND NOT EXISTS ("
            " SELECT 1 FROM capture_inbox_identifiers mine JOIN capture_inbox_identifiers earlier"
            " ON earlier.identifier = mine.identifier AND earlier.seq < mine.seq WHERE mine.seq = r.seq)"
            " ORDER BY r.seq LIMIT ?"
        )
        if dialect == "postgresql":
            claim += " FOR UPDATE OF r SKIP LOCKED"
        self.claim = sql(claim)
        self.finish = sql(
            "UPDATE capture_inbox SET status = ?, status_reason = ?, message = ?, attempts = ?,"
            " next_attempt_on = NULL, finished_on = ? WHERE seq = ?",
        )
        self.release = sql("DELETE FROM capture_inbox_identifiers WHERE seq = ?")
        self.retry = sql(
            "UPDATE capture_inbox SET attempts = ?, next_attempt_on = ?, status_reason = ?"
            " WHERE seq = ? AND next_attempt_on IS NOT NULL",
        )
        self.status = sql(
            "SELECT request_id, status, status_reason, message FROM capture_inbox"
            " WHERE request_id = ? AND access_key = ?",
        )
        self.pending = sql("SELECT COUNT(*), MIN(accepted_on) FROM capture_inbox WHERE next_attempt_on IS NOT NULL")
        self.finished_since = sql("SELECT COUNT(*) FROM capture_inbox WHERE finished_on >= ?")
        self.purge = sql("DELETE FROM capture_inbox WHERE finished_on <= ?")


STATEMENTS: Final = {dialect: InboxStatements(dialect) for dialect in ("sqlite", "postgresql")}


class SQLInbox:
    """The inbox in a SQL store's database; the writes run inside the caller's store transaction."""

    def __init__(self, store: SQLStoreBase) -> None:
        """The inbox beside `store`'s leads (the migrations created its tables)."""
        self.store = store

    def accept_in(  # noqa: PLR0913 - one request's parts, keyword-only
        self,
        tx: SQLTransaction,
        *,
        request_id: str,
        access_key: str,
        body: bytes,
        behavior: str | None,
        identifiers: Sequence[str],
        now: datetime,
    ) -> None:
        """Add a request sent with `access_key` to the inbox, due at once, with the identifiers it touches."""
        sql, cur = STATEMENTS[tx.dialect], tx.raw_cursor()
        moment = to_micros(now)
        cur.execute(sql.insert, (request_id, access_key, body.decode(), behavior, moment, moment))
        (seq,) = cur.fetchone()
        if identifiers:
            cur.executemany(sql.insert_identifier, [(identifier, seq) for identifier in sorted(set(identifiers))])
        tx.hold()

    def claim_in(self, tx: SQLTransaction, *, now: datetime, limit: int) -> list[QueuedRequest]:
        """Due requests, in acceptance order, that no earlier pending request shares an identifier with.

        On PostgreSQL they are locked until the transaction ends and other workers skip them.
        """
        cur = tx.raw_cursor()
        cur.execute(STATEMENTS[tx.dialect].claim, (to_micros(now), limit))
        claimed = [
            QueuedRequest(
                seq=row[0],
                request_id=row[1],
                body=str(row[2]).encode(),
                behavior=row[3],
                attempts=row[4],
            )
            for row in cur.fetchall()
        ]
        # Locks taken by the claim must survive a refused write in the captures that follow.
        tx.hold()
        return claimed

    def finish_in(  # noqa: PLR0913 - one outcome's parts, keyword-only
        self,
        tx: SQLTransaction,
        request: QueuedRequest,
        *,
        status: str,
        reason: str | None,
        message: bytes | None,
        now: datetime,
    ) -> None:
        """Mark a request done (Success, FAILURE or ERROR) and let the requests behind it go."""
        sql, cur = STATEMENTS[tx.dialect], tx.raw_cursor()
        cur.execute(
            sql.finish,
            (
                status,
                reason,
                message.decode() if message is not None else None,
                request.attempts + 1,
                to_micros(now),
                request.seq,
            ),
        )
        cur.execute(sql.release, (request.seq,))

    def retry_in(self, tx: SQLTransaction, request: QueuedRequest, *, due: datetime, reason: str) -> None:
        """Count a failed attempt and make the request due again at `due`."""
        cur = tx.raw_cursor()
        cur.execute(STATEMENTS[tx.dialect].retry, (request.attempts + 1, to_micros(due), reason, request.seq))

    def status(self, request_id: str, access_key: str) -> RequestStatus | None:
        """Where the request with this id stands, or None if `access_key` sent no such request (or it was purged)."""
        with self.store.reading() as tx:
            cur = tx.raw_cursor()
            cur.execute(STATEMENTS[tx.dialect].status, (request_id, access_key))
            row = cur.fetchone()
        if row is None:
            return None
        message = row[3]
        return RequestStatus(
            request_id=row[0],
            status=row[1],
            status_reason=row[2],
            message=str(message).encode() if message is not None else None,
        )

    def metrics(self, now: datetime) -> InboxMetrics:
        """Pending requests, the age of the oldest, and how many finished in the minute before `now`."""
        moment = to_micros(now)
        with self.store.reading() as tx:
            sql, cur = STATEMENTS[tx.dialect], tx.raw_cursor()
            cur.execute(sql.pending)
            pending, oldest = cur.fetchone()
            cur.execute(sql.finished_since, (moment - 60 * _MICROS_PER_SECOND,))
            (finished,) = cur.fetchone()
        delay = max(0, (moment - int(oldest)) // _MICROS_PER_SECOND) if oldest is not None else 0
        return InboxMetrics(pending=int(pending), max_delay_seconds=delay, processed_last_minute=int(finished))

    def purge(self, before: datetime) -> int:
        """Delete requests that finished at or before `before`; how many went."""
        with self.store.transaction() as tx:
            cur = tx.raw_cursor()
            cur.execute(STATEMENTS[tx.dialect].purge, (to_micros(before),))
            return max(cur.rowcount, 0)
