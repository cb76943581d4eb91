"""The store benchmark's PostgreSQL batch baseline: a batch of new leads without the engine, in plain psycopg 3.

`RawPostgresBatches` does to a PostgreSQL database what `bench.raw_sqlite.RawCapture.capture_batch` does to
a SQLite file: in one transaction, look up the holders of every key of the batch in one statement (the keys
as two arrays, as the store's own batch look-up passes them), then insert the leads, their unique values and
their Lead Capture activities, and commit. It takes the rows of `bench.stores.raw_rows` (ids, times and JSON
made before timing), so it measures the database work alone. Three ways to send the inserts, each one a
real store could use:

* `executemany`: one `executemany` per table; psycopg 3 pipelines it (one round trip per table, not per row);
* `pipeline`: the look-up, then every insert and the COMMIT in one explicit `Connection.pipeline()` block;
* `copy`: one `COPY ... FROM STDIN` per table (what `PostgresLeadStore` does with a batch's new rows);
* `binary copy`: the same in COPY's binary format, with the column types given to psycopg.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import psycopg

from bench.raw_sqlite import RawRow

TAKEN: Final = (
    "SELECT u.field FROM unnest(%s::text[], %s::text[]) AS k(field, key)"
    " JOIN lead_unique_values u ON u.field = k.field AND u.key = k.key"
)
LEAD_COLUMNS: Final = "id, fields, created_on, modified_on, last_activity_on, related_company_id, version"
ACTIVITY_COLUMNS: Final = "id, lead_id, event_code, event_name, created_on, data"
INSERT_LEAD: Final = f"INSERT INTO leads ({LEAD_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608 - constants
INSERT_UNIQUE: Final = "INSERT INTO lead_unique_values (field, key, lead_id) VALUES (%s, %s, %s)"
INSERT_ACTIVITY: Final = f"INSERT INTO activities ({ACTIVITY_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)"  # noqa: S608 - constants
COPY_LEADS: Final = f"COPY leads ({LEAD_COLUMNS}) FROM STDIN"
COPY_UNIQUE: Final = "COPY lead_unique_values (field, key, lead_id) FROM STDIN"
COPY_ACTIVITIES: Final = f"COPY activities ({ACTIVITY_COLUMNS}) FROM STDIN"
WAYS: Final = ("executemany", "pipeline", "copy", "binary copy")
LEAD_TYPES: Final = ("text", "text", "int8", "int8", "int8", "text", "int4")
UNIQUE_TYPES: Final = ("text", "text", "text")
ACTIVITY_TYPES: Final = ("text", "text", "int4", "text", "int8", "text")


def unique_rows(rows: Sequence[RawRow]) -> list[tuple[str, str, str]]:
    """The two unique values (email, phone) of every lead in `rows`."""
    return [
        (field, key, row.lead[0])
        for row in rows
        for field, key in (("EmailAddress", row.email_key), ("Phone", row.phone_key))
    ]


class RawPostgresBatches:
    """New leads written with plain psycopg 3, one transaction per batch, on a connection of their own."""

    def __init__(self, url: str) -> None:
        """A connection to the (migrated) database at `url`; transactions begin with the first statement."""
        self._conn = psycopg.connect(url, autocommit=False)

    def batch(self, way: str) -> Callable[[Sequence[RawRow]], None]:
        """The batch writer called `way` (one of `WAYS`)."""
        writers: dict[str, Callable[[Sequence[RawRow]], None]] = {
            "executemany": self.with_executemany,
            "pipeline": self.with_pipeline,
            "copy": self.with_copy,
            "binary copy": self.with_binary_copy,
        }
        return writers[way]

    def _assert_untaken(self, cur: psycopg.Cursor[Any], rows: Sequence[RawRow]) -> None:
        fields = ["EmailAddress"] * len(rows) + ["Phone"] * len(rows)
        keys = [row.email_key for row in rows] + [row.phone_key for row in rows]
        cur.execute(TAKEN, (fields, keys))
        assert not cur.fetchall()

    def with_executemany(self, rows: Sequence[RawRow]) -> None:
        """Look up every key, then one `executemany` per table, and commit."""
        with self._conn.cursor() as cur:
            self._assert_untaken(cur, rows)
            cur.executemany(INSERT_LEAD, [row.lead for row in rows])
            cur.executemany(INSERT_UNIQUE, unique_rows(rows))
            cur.executemany(INSERT_ACTIVITY, [row.activity for row in rows])
        self._conn.commit()

    def with_pipeline(self, rows: Sequence[RawRow]) -> None:
        """Look up every key, then send every insert and the COMMIT in one pipeline."""
        with self._conn.pipeline(), self._conn.cursor() as cur:
            self._assert_untaken(cur, rows)  # fetching the answer syncs the pipeline: the writes wait for it
            for row in rows:
                cur.execute(INSERT_LEAD, row.lead)
            for unique in unique_rows(rows):
                cur.execute(INSERT_UNIQUE, unique)
            for row in rows:
                cur.execute(INSERT_ACTIVITY, row.activity)
            self._conn.commit()

    def with_copy(self, rows: Sequence[RawRow]) -> None:
        """Look up every key, then one `COPY ... FROM STDIN` per table, and commit."""
        with self._conn.cursor() as cur:
            self._assert_untaken(cur, rows)
            for statement, table_rows in (
                (COPY_LEADS, [row.lead for row in rows]),
                (COPY_UNIQUE, unique_rows(rows)),
                (COPY_ACTIVITIES, [row.activity for row in rows]),
            ):
                with cur.copy(statement) as copy:
                    for table_row in table_rows:
                        copy.write_row(table_row)
        self._conn.commit()

    def with_binary_copy(self, rows: Sequence[RawRow]) -> None:
        """Look up every key, then one `COPY ... FROM STDIN (FORMAT BINARY)` per table, and commit."""
        with self._conn.cursor() as cur:
            self._assert_untaken(cur, rows)
            for statement, types, table_rows in (
                (COPY_LEADS, LEAD_TYPES, [row.lead for row in rows]),
                (COPY_UNIQUE, UNIQUE_TYPES, unique_rows(rows)),
                (COPY_ACTIVITIES, ACTIVITY_TYPES, [row.activity for row in rows]),
            ):
                with cur.copy(f"{statement} (FORMAT BINARY)") as copy:
                    copy.set_types(list(types))
                    for table_row in table_rows:
                        copy.write_row(table_row)
        self._conn.commit()

    def counts(self) -> tuple[int, int, int]:
        """How many leads, unique values and activities the database holds."""
        with self._conn.cursor() as cur:
            cur.execute(
                "SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM lead_unique_values),"
                " (SELECT count(*) FROM activities)",
            )
            found = cur.fetchone()
        self._conn.commit()
        assert found is not None
        leads, uniques, activities = found
        return int(leads), int(uniques), int(activities)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
