"""`PostgresLeadStore`: the scale-out store; several stateless API processes on several machines share it.

Captures run at READ COMMITTED. Correctness under races does not rest on the isolation level but on the
database's constraints and on compare-and-set writes: a unique value is a primary key in
`lead_unique_values`, an update applies only to the lead version it was decided on, a conversion only to a
visitor not yet converted. When one of those refuses a decision, it is rolled back to its savepoint and the
engine decides again on fresh data (R-M10).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool
from returns.result import Result

from leadcapture.adapters.sql import OK, Conflict, SQLTransaction, Statements, conflict_from
from leadcapture.core.decision import CaptureDecision
from leadcapture.core.match import CandidateQuery, Candidates
from leadcapture.core.records import Account, Activity, IndexEntry, Lead, Visitor
from leadcapture.ports import StoreConflict

_STATEMENTS: Final = Statements("%s")
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


class PostgresLeadStore:
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
        """A transaction on a pooled connection: commits when the block ends, rolls back on an exception."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield SQLTransaction(cur, _STATEMENTS, savepoint=_savepoint(conn))

    @contextmanager
    def _reading(self) -> Iterator[SQLTransaction]:
        with self._pool.connection() as conn, conn.cursor() as cur:
            yield SQLTransaction(cur, _STATEMENTS, savepoint=_savepoint(conn))

    def find_candidates(self, query: CandidateQuery) -> Candidates:
        """Everything a decision may read for one request (a dry run reads this way)."""
        with self._reading() as tx:
            return tx.find_candidates(query)

    def apply(self, decision: CaptureDecision) -> Result[None, StoreConflict]:
        """Write one decision in its own transaction."""
        with self.transaction() as tx:
            return tx.apply(decision)

    def get_lead(self, lead_id: str) -> Lead | None:
        """The lead with this id."""
        with self._reading() as tx:
            return tx.get_lead(lead_id.lower())

    def leads(self) -> tuple[Lead, ...]:
        """Every lead, in creation order."""
        with self._reading() as tx:
            return tx.all_leads()

    def index_entries(self, lead_id: str) -> tuple[IndexEntry, ...]:
        """The (field, key) entries indexed for a lead."""
        with self._reading() as tx:
            return tx.index_entries(lead_id)

    def find_leads(self, field: str, key: str) -> tuple[Lead, ...]:
        """Leads whose indexed `field` has match key `key`."""
        with self._reading() as tx:
            return tx.find_leads(field, key)

    def activities(self, lead_id: str) -> tuple[Activity, ...]:
        """A lead's activities, newest first."""
        with self._reading() as tx:
            return tx.activities(lead_id.lower())

    def save_visitor(self, visitor: Visitor) -> None:
        """Add or replace an anonymous visitor and its visits."""
        with self.transaction() as tx:
            tx.save_visitor(visitor)

    def visitor(self, visitor_id: str) -> Visitor | None:
        """The visitor with this tracking id."""
        with self._reading() as tx:
            return tx.get_visitor(visitor_id)

    def add_account(self, account: Account) -> None:
        """Add an account leads can be linked to."""
        with self.transaction() as tx:
            tx.add_account(account)

    def close(self) -> None:
        """Close the connection pool."""
        self._pool.close()


def _savepoint(conn: psycopg.Connection[Any]) -> Callable[[Callable[[], None]], Result[None, StoreConflict]]:
    def run(write: Callable[[], None]) -> Result[None, StoreConflict]:
        try:
            with conn.transaction():
                write()
        except CONFLICT_ERRORS as exc:
            return conflict_from(exc)
        return OK

    return run
