"""Real faults of a server's database, for the tests of what the server answers when its store fails."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path


@contextmanager
def table_missing(database: Path, table: str) -> Iterator[None]:
    """The SQLite database at `database` without `table` until the block ends, as a damaged database would be.

    The table is renamed away and back, so every statement on it meets SQLite's own `no such table` error
    in whichever process runs it, and its rows are all there again afterwards.
    """
    away = f"{table}_away"
    with closing(sqlite3.connect(database, isolation_level=None, timeout=30)) as connection:
        connection.execute(f'ALTER TABLE "{table}" RENAME TO "{away}"')
        try:
            yield
        finally:
            connection.execute(f'ALTER TABLE "{away}" RENAME TO "{table}"')
