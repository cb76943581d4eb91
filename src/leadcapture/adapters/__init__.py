"""Stores: adapters of the `LeadStore` port. `open_store(url)` picks one from a database URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadcapture.adapters.postgres import PostgresLeadStore
    from leadcapture.adapters.sqlite import SQLiteLeadStore

DEFAULT_DATABASE_URL = "sqlite:///./leadcapture.db"


_PLAIN_SQLITE_PREFIX = "sqlite:///"


def parse_database_url(url: str) -> tuple[str, str | None]:
    """The backend (`sqlite`, `postgresql`, ...) and database a URL names, as SQLAlchemy's `make_url` reads them.

    A plain `sqlite:///path` (no query, no escapes) is read here: loading SQLAlchemy for it is a good part
    of a short command's start, and the SQLite store itself needs none. Anything else goes to `make_url`.
    """
    if url.startswith(_PLAIN_SQLITE_PREFIX) and not any(mark in url for mark in "?%#@"):
        return "sqlite", url[len(_PLAIN_SQLITE_PREFIX) :]
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_backend_name(), parsed.database


def open_store(
    url: str = DEFAULT_DATABASE_URL,
    *,
    memory_map_bytes: int | None = None,
    background_checkpoints: bool = False,
) -> SQLiteLeadStore | PostgresLeadStore:
    """The store a database URL names, migrated to the latest schema.

    `sqlite:///path.db` (relative) or `sqlite:////abs/path.db` gives a `SQLiteLeadStore`;
    `postgresql://user@host:port/db` a `PostgresLeadStore` (needs the `postgres` extra).
    `memory_map_bytes` (SQLite only; `None` keeps the store's default) bounds SQLite's memory map.
    `background_checkpoints` (SQLite only) copies the write-ahead log on a thread of the store's own
    instead of in the commits (adr/0061); the server asks for it.
    """
    backend, database = parse_database_url(url)
    if backend == "sqlite":
        from leadcapture.adapters.sqlite import SQLiteLeadStore

        if not database or database == ":memory:":
            msg = "SQLite needs a file path (sqlite:///path.db); use InMemoryLeadStore for memory"
            raise ValueError(msg)
        from leadcapture.adapters.sqlite_checkpoints import CheckpointSchedule

        schedule = CheckpointSchedule() if background_checkpoints else None
        if memory_map_bytes is None:
            return SQLiteLeadStore(database, background_checkpoints=schedule)
        return SQLiteLeadStore(database, memory_map_bytes=memory_map_bytes, background_checkpoints=schedule)
    if backend == "postgresql":
        from leadcapture.extras import require_extra

        require_extra("postgres")
        from leadcapture.adapters.postgres import PostgresLeadStore

        return PostgresLeadStore(url)
    msg = f"unsupported database URL {url!r}: use sqlite:///path.db or postgresql://..."
    raise ValueError(msg)
