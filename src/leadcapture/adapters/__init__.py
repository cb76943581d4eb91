"""Stores: adapters of the `LeadStore` port. `open_store(url)` picks one from a database URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from leadcapture.adapters.postgres import PostgresLeadStore
    from leadcapture.adapters.sqlite import SQLiteLeadStore

DEFAULT_DATABASE_URL = "sqlite:///./leadcapture.db"


def open_store(
    url: str = DEFAULT_DATABASE_URL,
    *,
    memory_map_bytes: int | None = None,
) -> SQLiteLeadStore | PostgresLeadStore:
    """The store a database URL names, migrated to the latest schema.

    `sqlite:///path.db` (relative) or `sqlite:////abs/path.db` gives a `SQLiteLeadStore`;
    `postgresql://user@host:port/db` a `PostgresLeadStore` (needs the `postgres` extra).
    `memory_map_bytes` (SQLite only; `None` keeps the store's default) bounds SQLite's memory map.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        from leadcapture.adapters.sqlite import SQLiteLeadStore

        if not parsed.database or parsed.database == ":memory:":
            msg = "SQLite needs a file path (sqlite:///path.db); use InMemoryLeadStore for memory"
            raise ValueError(msg)
        if memory_map_bytes is None:
            return SQLiteLeadStore(parsed.database)
        return SQLiteLeadStore(parsed.database, memory_map_bytes=memory_map_bytes)
    if backend == "postgresql":
        from leadcapture.extras import require_extra

        require_extra("postgres")
        from leadcapture.adapters.postgres import PostgresLeadStore

        return PostgresLeadStore(url)
    msg = f"unsupported database URL {url!r}: use sqlite:///path.db or postgresql://..."
    raise ValueError(msg)
