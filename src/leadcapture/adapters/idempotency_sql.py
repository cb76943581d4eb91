"""The SQL of idempotency records, for both drivers, run inside the transaction of the capture it answers."""

from __future__ import annotations

from typing import Any, Final

from leadcapture.adapters.dbapi import Cursor, from_micros, to_micros
from leadcapture.ports import IdempotencyRecord


class IdempotencyStatements:
    """The statements for one driver's placeholder style (`?` for sqlite3, `%s` for psycopg)."""

    def __init__(self, dialect: str) -> None:
        """Render the statements for `sqlite` or `postgresql`."""
        placeholder = "?" if dialect == "sqlite" else "%s"

        def sql(text: str) -> str:
            return text.replace("?", placeholder)

        self.find = sql(
            "SELECT scope, key, fingerprint, status, body, created_on, expires_on"
            " FROM idempotency_records WHERE scope = ? AND key = ?",
        )
        # Insert, or take over an expired record of the key; a live record is left alone (no row changes).
        self.save = sql(
            "INSERT INTO idempotency_records (scope, key, fingerprint, status, body, created_on, expires_on)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint,"
            " status = excluded.status, body = excluded.body, created_on = excluded.created_on,"
            " expires_on = excluded.expires_on WHERE idempotency_records.expires_on <= excluded.created_on",
        )
        self.purge = sql("DELETE FROM idempotency_records WHERE expires_on <= ?")


STATEMENTS: Final = {dialect: IdempotencyStatements(dialect) for dialect in ("sqlite", "postgresql")}


def find_record(cur: Cursor, dialect: str, scope: str, key: str) -> IdempotencyRecord | None:
    """The record of (scope, key), expired or not."""
    cur.execute(STATEMENTS[dialect].find, (scope, key))
    row = cur.fetchone()
    return _record_from_row(row) if row is not None else None


def save_record(cur: Cursor, dialect: str, record: IdempotencyRecord) -> bool:
    """Write `record` unless a live record holds its key; whether it was written."""
    cur.execute(
        STATEMENTS[dialect].save,
        (
            record.scope,
            record.key,
            record.fingerprint,
            record.status,
            record.body.decode(),
            to_micros(record.created_on),
            to_micros(record.expires_on),
        ),
    )
    return cur.rowcount == 1


def purge_records(cur: Cursor, dialect: str, before_micros: int) -> int:
    """Delete the records that expired at or before the time given; how many went."""
    cur.execute(STATEMENTS[dialect].purge, (before_micros,))
    return max(cur.rowcount, 0)


def _record_from_row(row: Any) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=row[0],
        key=row[1],
        fingerprint=row[2],
        status=row[3],
        body=str(row[4]).encode(),
        created_on=from_micros(row[5]),
        expires_on=from_micros(row[6]),
    )
