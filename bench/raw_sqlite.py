"""The store benchmark's baselines: the reads and writes of a capture without the engine.

`RawCapture` does what `Engine.capture` of a new lead does to a SQLite database, with plain sqlite3 and
nothing else: in one `BEGIN IMMEDIATE` transaction, look up the holders of the email key and of the phone
key (the store's own look-up statement), insert the lead, its two unique values and its Lead Capture
activity, commit. Its parameters (ids, times, JSON text) are made before timing, so it measures the
database work alone. `AlchemyCapture` runs the same statements through SQLAlchemy Core constructs on an
SQLAlchemy connection, which is what the hot path would cost on top of the driver without adr/0016.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import msgspec
from sqlalchemy import Connection, bindparam, create_engine, event, insert, literal_column, select, union_all
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.elements import BindParameter

from leadcapture.adapters.tables import activities, lead_lookup_values, lead_unique_values, leads

HOLDERS: Final = (
    "SELECT l.id, l.fields, l.created_on, l.modified_on, l.last_activity_on, l.related_company_id, l.version"
    " FROM lead_unique_values u JOIN leads l ON l.id = u.lead_id WHERE u.field = ? AND u.key = ?"
    " UNION ALL SELECT l.id, l.fields, l.created_on, l.modified_on, l.last_activity_on, l.related_company_id,"
    " l.version FROM lead_lookup_values v JOIN leads l ON l.id = v.lead_id WHERE v.field = ? AND v.key = ? ORDER BY 1"
)
INSERT_LEAD: Final = (
    "INSERT INTO leads (id, fields, created_on, modified_on, last_activity_on, related_company_id, version)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_UNIQUE: Final = "INSERT INTO lead_unique_values (field, key, lead_id) VALUES (?, ?, ?)"
INSERT_ACTIVITY: Final = (
    "INSERT INTO activities (id, lead_id, event_code, event_name, created_on, data) VALUES (?, ?, ?, ?, ?, ?)"
)

LeadRow = tuple[str, str, int, int, int, None, int]
ActivityRow = tuple[str, str, int, str, int, str]


class RawRow(msgspec.Struct, frozen=True):
    """Everything one raw capture binds: its two keys and its three kinds of rows."""

    email_key: str
    phone_key: str
    lead: LeadRow
    activity: ActivityRow


def connect(path: Path, synchronous: str) -> sqlite3.Connection:
    """A sqlite3 connection set up as `SQLiteLeadStore` sets up its own."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class RawCapture:
    """New leads written with plain sqlite3, one `BEGIN IMMEDIATE` transaction each."""

    def __init__(self, path: Path, synchronous: str) -> None:
        """A connection to the (migrated) database at `path`."""
        self._conn = connect(path, synchronous)

    def checkpoint_elsewhere(self) -> None:
        """Leave checkpoints to another connection: commits no longer copy the log (adr/0061)."""
        self._conn.execute("PRAGMA wal_autocheckpoint=0")

    def capture(self, row: RawRow) -> None:
        """Look up both keys, then insert the lead, its unique values and its activity, and commit."""
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.execute(HOLDERS, ("EmailAddress", row.email_key, "EmailAddress", row.email_key))
        assert not cur.fetchall()
        cur.execute(HOLDERS, ("Phone", row.phone_key, "Phone", row.phone_key))
        assert not cur.fetchall()
        lead_id = row.lead[0]
        cur.execute(INSERT_LEAD, row.lead)
        cur.execute(INSERT_UNIQUE, ("EmailAddress", row.email_key, lead_id))
        cur.execute(INSERT_UNIQUE, ("Phone", row.phone_key, lead_id))
        cur.execute(INSERT_ACTIVITY, row.activity)
        cur.execute("COMMIT")

    def capture_batch(self, rows: Sequence[RawRow]) -> None:
        """New leads in one transaction: one look-up of every key, then one `executemany` per table."""
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        keys = [("EmailAddress", row.email_key) for row in rows] + [("Phone", row.phone_key) for row in rows]
        cur.execute(
            "SELECT u.field FROM (SELECT json_extract(value, '$[0]') AS field, json_extract(value, '$[1]') AS key"
            " FROM json_each(?)) k JOIN lead_unique_values u ON u.field = k.field AND u.key = k.key",
            (msgspec.json.encode(keys).decode(),),
        )
        assert not cur.fetchall()
        cur.executemany(INSERT_LEAD, [row.lead for row in rows])
        cur.executemany(
            INSERT_UNIQUE,
            [
                (field, key, row.lead[0])
                for row in rows
                for field, key in (("EmailAddress", row.email_key), ("Phone", row.phone_key))
            ],
        )
        cur.executemany(INSERT_ACTIVITY, [row.activity for row in rows])
        cur.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class AlchemyCapture:
    """The raw capture's statements as SQLAlchemy Core constructs, executed on an SQLAlchemy connection."""

    def __init__(self, path: Path, synchronous: str) -> None:
        """An engine on one sqlite3 connection set up like the store's, beginning with `BEGIN IMMEDIATE`."""
        self._engine = create_engine(f"sqlite:///{path}", poolclass=StaticPool)

        @event.listens_for(self._engine, "connect")
        def _setup(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "foreign_keys=ON"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(self._engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        columns = [
            leads.c[name]
            for name in (
                "id",
                "fields",
                "created_on",
                "modified_on",
                "last_activity_on",
                "related_company_id",
                "version",
            )
        ]
        unique = select(*columns).join_from(lead_unique_values, leads, leads.c.id == lead_unique_values.c.lead_id)
        lookup = select(*columns).join_from(lead_lookup_values, leads, leads.c.id == lead_lookup_values.c.lead_id)
        field: BindParameter[str] = bindparam("field")
        key: BindParameter[str] = bindparam("key")
        self._holders = union_all(
            unique.where(lead_unique_values.c.field == field, lead_unique_values.c.key == key),
            lookup.where(lead_lookup_values.c.field == field, lead_lookup_values.c.key == key),
        ).order_by(literal_column("1"))
        self._insert_lead = insert(leads)
        self._insert_unique = insert(lead_unique_values)
        self._insert_activity = insert(activities)
        self._conn = self._engine.connect()

    def capture(self, row: RawRow) -> None:
        """The raw capture, through SQLAlchemy."""
        conn = self._conn
        with conn.begin():
            for field, key in (("EmailAddress", row.email_key), ("Phone", row.phone_key)):
                assert not conn.execute(self._holders, {"field": field, "key": key}).fetchall()
            lead_id, fields, created, modified, last, company, version = row.lead
            conn.execute(
                self._insert_lead,
                {
                    "id": lead_id,
                    "fields": fields,
                    "created_on": created,
                    "modified_on": modified,
                    "last_activity_on": last,
                    "related_company_id": company,
                    "version": version,
                },
            )
            for field, key in (("EmailAddress", row.email_key), ("Phone", row.phone_key)):
                conn.execute(self._insert_unique, {"field": field, "key": key, "lead_id": lead_id})
            activity_id, _, code, name, created_on, data = row.activity
            conn.execute(
                self._insert_activity,
                {
                    "id": activity_id,
                    "lead_id": lead_id,
                    "event_code": code,
                    "event_name": name,
                    "created_on": created_on,
                    "data": data,
                },
            )

    def close(self) -> None:
        """Close the connection and the engine."""
        self._conn.close()
        self._engine.dispose()
