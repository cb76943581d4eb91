"""The migration revision this code expects, readable without loading Alembic or SQLAlchemy.

Opening a SQLite store checks whether its file is already at this revision with one plain `sqlite3`
query, and runs Alembic only when it is not: loading Alembic and SQLAlchemy is most of a short
command's start (`leadcapture preview` of a small file), and a file at the head needs neither.
A test holds `HEAD_REVISION` to the head of the migration scripts.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Final

HEAD_REVISION: Final = "0005"
"""The newest migration (`leadcapture/migrations/versions`)."""


def sqlite_file_at_head(path: Path, *, timeout_seconds: float) -> bool:
    """Whether the SQLite file at `path` exists and records `HEAD_REVISION` as its only revision."""
    if not path.is_file():
        return False
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=timeout_seconds)) as conn:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:  # no table yet, not a database, locked past the timeout: let Alembic decide
        return False
    return rows == [(HEAD_REVISION,)]
