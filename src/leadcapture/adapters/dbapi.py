"""The DBAPI surface the SQL stores share, with no store behind it: the cursor they use and how times are kept.

Both `sql` (the lead store's transaction) and `idempotency_sql` (the idempotency records it also keeps)
build on this module, so neither has to import the other's internals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """A timezone-aware time as integer microseconds since the Unix epoch."""
    return (moment - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The UTC time `micros` microseconds after the Unix epoch."""
    return EPOCH + timedelta(microseconds=micros)


class Cursor(Protocol):
    """The part of a DBAPI cursor the stores use (sqlite3 and psycopg both provide it)."""

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        ...

    def execute(self, sql: Any, params: Sequence[Any] = ..., /) -> Any:
        """Run one statement."""
        ...

    def executemany(self, sql: Any, params: Iterable[Sequence[Any]], /) -> Any:
        """Run one statement once per parameter row."""
        ...

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...
