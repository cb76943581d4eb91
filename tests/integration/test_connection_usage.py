"""What the SQL stores report of their database connections, which the server's metrics show (issue 16)."""

from __future__ import annotations

import threading
from pathlib import Path

from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.adapters.sqlstore import ConnectionUsage


def test_sqlite_reports_one_open_connection_per_thread_that_used_it(sqlite_path: Path) -> None:
    """SQLite has no pool: a connection per thread, and nothing to say about lending or waiting."""
    store = SQLiteLeadStore(sqlite_path)
    try:
        store.leads()
        alone = store.connection_usage()
        other = threading.Thread(target=store.leads)
        other.start()
        other.join()
        after_another_thread = store.connection_usage()
    finally:
        store.close()

    assert alone == ConnectionUsage(open=1)
    assert after_another_thread == ConnectionUsage(open=2)
    assert store.connection_usage() == ConnectionUsage(open=0)


def test_postgres_reports_its_pool_lending_a_connection_to_a_transaction(postgres_url: str) -> None:
    """PostgreSQL's pool: a connection lent to an open transaction is in use, and given back after it."""
    store = PostgresLeadStore(postgres_url, min_size=1, max_size=3)
    try:
        store._pool.wait()  # the first connection opened: a connection still opening counts as in use
        before = store.connection_usage()
        with store.transaction():
            during = store.connection_usage()
        after = store.connection_usage()
    finally:
        store.close()

    assert before == ConnectionUsage(open=1, in_use=0, max_open=3, waiting=0)
    assert during == ConnectionUsage(open=1, in_use=1, max_open=3, waiting=0)
    assert after == ConnectionUsage(open=1, in_use=0, max_open=3, waiting=0)
