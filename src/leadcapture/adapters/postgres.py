"""`PostgresLeadStore`: the scale-out store; several stateless API processes on several machines share it.

Captures run at READ COMMITTED. Correctness under races does not rest on the isolation level but on the
database's constraints and on compare-and-set writes: a unique value is a primary key in
`lead_unique_values`, an update applies only to the lead version it was decided on, a conversion only to a
visitor not yet converted. When one of those refuses a decision, it is undone (rolled back to its
savepoint, or, when it was the transaction's first write, with the whole transaction) and the engine
decides again on fresh data (R-M10).

A capture's look-ups go to the server in one pipeline, and so do its writes; batches load new rows with
COPY. The round trips of a capture are: BEGIN, the look-ups, the writes, COMMIT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Final

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool
from returns.result import Result

from leadcapture.adapters.sql import OK, Conflict, SQLTransaction, Statements, conflict_from
from leadcapture.adapters.sqlstore import ConnectionUsage, SQLStoreBase
from leadcapture.ports import StoreConflict

_STATEMENTS: Final = Statements("postgresql")
CONFLICT_ERRORS: Final = (
    pg_errors.IntegrityError,
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    Conflict,
)
"""What the database (or a compare-and-set) raises when a decision's reads went stale."""


def conninfo_from_url(url: str) -> str:
    """A libpq connection string for a `postgresql://` (or `postgresql+psycopg://`) URL."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


class PostgresLeadStore(SQLStoreBase):
    """Leads in PostgreSQL, through a psycopg 3 connection pool."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 16, migrate: bool = True) -> None:
        """Connect to the database at `url` (and by default create or upgrade its tables)."""
        if migrate:
            from leadcapture.adapters.migrate import upgrade

            upgrade(url)
        self.url = url
        self._pool = ConnectionPool(
            conninfo_from_url(url),
            min_size=min_size,
            max_size=max_size,
            open=True,
            kwargs={"autocommit": False},
        )

    @contextmanager
    def transaction(self) -> Iterator[SQLTransaction]:
        """A transaction on a pooled connection: commits when the block ends, rolls back on an exception.

        The transaction begins with its first statement (psycopg's implicit BEGIN) and the pooled
        connection commits it on the way out, so that a refused first write can roll it back and go on.
        """
        with self._pool.connection() as conn, conn.cursor() as cur:
            yield SQLTransaction(cur, _STATEMENTS, control=_Control(conn))

    @contextmanager
    def _reading(self) -> Iterator[SQLTransaction]:
        with self._pool.connection() as conn, conn.cursor() as cur:
            yield SQLTransaction(cur, _STATEMENTS, control=_Control(conn))

    def connection_usage(self) -> ConnectionUsage:
        """The pool's connections: open, lent out, its maximum, and callers waiting for one."""
        stats = self._pool.get_stats()
        size = stats.get("pool_size", 0)
        return ConnectionUsage(
            open=size,
            in_use=size - stats.get("pool_available", 0),
            max_open=self._pool.max_size,
            waiting=stats.get("requests_waiting", 0),
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._pool.close()


class _Control:
    """Undoing a refused write on a psycopg connection: a savepoint, or a rollback of the whole transaction."""

    conflicts: tuple[type[BaseException], ...] = CONFLICT_ERRORS

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def savepoint(self, write: Callable[[], None]) -> Result[None, StoreConflict]:
        if self._conn.info.transaction_status == TransactionStatus.IDLE:
            # No statement has begun the transaction yet (the writes before ran none): here psycopg's
            # transaction block would be a transaction of its own, committed when the block ends, before
            # the caller's. The write begins the caller's transaction instead, and a refusal rolls it back.
            try:
                write()
            except CONFLICT_ERRORS as exc:
                self._conn.rollback()
                return conflict_from(exc)
            return OK
        try:
            with self._conn.transaction():
                write()
        except CONFLICT_ERRORS as exc:
            return conflict_from(exc)
        return OK

    def restart(self) -> None:
        # The next statement begins a new transaction (the connection is not in autocommit mode).
        self._conn.rollback()

    def cursor(self) -> psycopg.Cursor[Any]:
        return self._conn.cursor()

    def pipeline(self) -> AbstractContextManager[object]:
        # One round trip for the statements of the block (and the BEGIN before the first of them).
        return self._conn.pipeline()

    def copy(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._conn.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
