"""Migrations create exactly the tables the stores are written against, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from returns.result import Success
from sqlalchemy import create_engine, inspect

from leadcapture import Engine
from leadcapture.adapters import open_store
from leadcapture.adapters.keystore import SQLKeyStore
from leadcapture.adapters.migrate import current_revision, sqlalchemy_url, upgrade
from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.adapters.revision import HEAD_REVISION, sqlite_file_at_head
from leadcapture.adapters.sqlite import MMAP_SIZE, SQLiteLeadStore
from leadcapture.adapters.tables import metadata
from leadcapture.keys import ALL_SCOPES

LATEST_REVISION = "0005"


def _differences(url: str) -> list[object]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), metadata))
    finally:
        engine.dispose()


def test_sqlite_migration_matches_the_table_definition(sqlite_path: Path) -> None:
    """After `upgrade`, a SQLite database has every table, column and index of tables.py and nothing else."""
    url = f"sqlite:///{sqlite_path}"
    upgrade(url)
    assert current_revision(url) == LATEST_REVISION
    assert _differences(url) == []


def test_postgres_migration_matches_the_table_definition(postgres_url: str) -> None:
    """After `upgrade`, a PostgreSQL database has every table, column and index of tables.py and nothing else."""
    upgrade(postgres_url)
    assert current_revision(postgres_url) == LATEST_REVISION
    assert _differences(postgres_url) == []


def test_unique_values_are_enforced_by_the_database(sqlite_path: Path) -> None:
    """The uniqueness table's primary key is (field, normalised value): the database itself refuses a twin."""
    url = f"sqlite:///{sqlite_path}"
    upgrade(url)
    engine = create_engine(url)
    try:
        primary_key = inspect(engine).get_pk_constraint("lead_unique_values")
    finally:
        engine.dispose()
    assert primary_key["constrained_columns"] == ["field", "key"]


def test_upgrade_twice_is_harmless(sqlite_path: Path) -> None:
    """Stores migrate on every start, so a second upgrade must change nothing."""
    url = f"sqlite:///{sqlite_path}"
    upgrade(url)
    upgrade(url)
    assert current_revision(url) == LATEST_REVISION


def test_db_upgrade_command_creates_the_schema(sqlite_path: Path) -> None:
    """`leadcapture db upgrade --database URL` creates the tables and reports the revision."""
    url = f"sqlite:///{sqlite_path}"
    done = subprocess.run(
        [sys.executable, "-m", "leadcapture.entrypoints.cli", "db", "upgrade", "--database", url],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"revision {LATEST_REVISION}" in done.stdout
    assert current_revision(url) == LATEST_REVISION


def test_open_store_picks_the_store_from_the_url(sqlite_path: Path, postgres_url: str) -> None:
    """`sqlite:///` opens a SQLiteLeadStore and `postgresql://` a PostgresLeadStore, both migrated."""
    sqlite_store = open_store(f"sqlite:///{sqlite_path}")
    postgres_store = open_store(postgres_url)
    try:
        assert isinstance(sqlite_store, SQLiteLeadStore)
        assert isinstance(postgres_store, PostgresLeadStore)
        assert current_revision(postgres_url) == LATEST_REVISION
    finally:
        sqlite_store.close()
        postgres_store.close()


@pytest.mark.parametrize("url", ["mysql://localhost/leads", "sqlite://", "sqlite:///:memory:"])
def test_open_store_refuses_what_it_cannot_open(url: str) -> None:
    """An unsupported URL, or SQLite without a file, is refused with a message saying what works."""
    with pytest.raises(ValueError, match="sqlite:///"):
        open_store(url)


@pytest.mark.parametrize(("memory_map_bytes", "expected"), [(None, MMAP_SIZE), (0, 0), (64 << 20, 64 << 20)])
def test_open_store_bounds_sqlites_memory_map(sqlite_path: Path, memory_map_bytes: int | None, expected: int) -> None:
    """The memory map a SQLite store's connections use is the one asked for, the store's default otherwise."""
    store = open_store(f"sqlite:///{sqlite_path}", memory_map_bytes=memory_map_bytes)
    try:
        assert isinstance(store, SQLiteLeadStore)
        captured = Engine(store=store).capture([{"Attribute": "EmailAddress", "Value": "m@example.com"}])
        assert isinstance(captured, Success), captured
        with store.transaction() as tx:
            (in_use,) = tx.raw_cursor().execute("PRAGMA mmap_size").fetchone()
    finally:
        store.close()
    assert in_use == expected


def test_a_negative_memory_map_is_refused(sqlite_path: Path) -> None:
    """A negative size is a mistake, not a way to ask for SQLite's compile-time default."""
    with pytest.raises(ValueError, match="memory_map_bytes"):
        SQLiteLeadStore(sqlite_path, memory_map_bytes=-1)


def test_a_store_opening_a_new_file_waits_for_the_journal_mode_change(sqlite_path: Path) -> None:
    """SQLite refuses a journal-mode change at once while another connection writes, so opening retries.

    Several processes opening a new file together race to switch it to WAL; here one writer stands in for
    them, holding its write lock for a moment while the store opens and captures.
    """
    upgrade(f"sqlite:///{sqlite_path}")  # a migrated file still in SQLite's default rollback-journal mode
    with closing(sqlite3.connect(sqlite_path, isolation_level=None, check_same_thread=False)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        threading.Timer(0.3, writer.execute, args=("COMMIT",)).start()
        store = SQLiteLeadStore(sqlite_path, migrate=False)
        try:
            receipt = Engine(store=store).capture([{"Attribute": "EmailAddress", "Value": "o@example.com"}])
        finally:
            store.close()

    assert isinstance(receipt, Success), receipt
    with closing(sqlite3.connect(sqlite_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_K1_a_key_made_before_scopes_existed_keeps_every_scope(
    database: str, sqlite_path: Path, request: pytest.FixtureRequest
) -> None:
    """R-K1: a key stored at revision 0002 (no scopes) has all four scopes after the upgrade, as a secret key."""
    url = f"sqlite:///{sqlite_path}" if database == "sqlite" else request.getfixturevalue("postgres_url")
    upgrade(url, "0002")
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO api_keys (access_key, name, secret_hash, created_on) VALUES ('lcold', 'old', 'h', 1)"
            )
    finally:
        engine.dispose()
    upgrade(url)
    keys = SQLKeyStore(url)
    try:
        old = keys.find_key("lcold")
    finally:
        keys.close()
    assert old is not None
    assert (old.scopes, old.site, old.origins) == (ALL_SCOPES, False, ())


def test_head_revision_is_the_newest_migration_script() -> None:
    """The revision a SQLite store checks for without Alembic is the head of the migration scripts."""
    from alembic.script import ScriptDirectory

    from leadcapture.adapters.migrate import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION == LATEST_REVISION


def test_a_file_at_the_head_opens_without_alembic(sqlite_path: Path) -> None:
    """Only a file that records the head revision skips the migrations; new and older files are upgraded."""
    timeout = 1.0
    assert not sqlite_file_at_head(sqlite_path, timeout_seconds=timeout)  # no file yet
    url = f"sqlite:///{sqlite_path}"
    upgrade(url, "0004")
    assert not sqlite_file_at_head(sqlite_path, timeout_seconds=timeout)
    SQLiteLeadStore(sqlite_path).close()
    assert current_revision(url) == LATEST_REVISION
    assert sqlite_file_at_head(sqlite_path, timeout_seconds=timeout)


def test_a_file_that_is_not_a_database_goes_to_alembic(tmp_path: Path) -> None:
    """A file SQLite cannot read is not taken as current: opening it fails as it did before the check."""
    path = tmp_path / "notes.db"
    path.write_text("not a database")
    assert not sqlite_file_at_head(path, timeout_seconds=1.0)
    with pytest.raises(Exception, match="not a database"):
        SQLiteLeadStore(path)


def test_a_short_command_loads_neither_sqlalchemy_nor_alembic_for_a_current_file(sqlite_path: Path) -> None:
    """Opening a SQLite store at the head by URL loads no SQLAlchemy or Alembic (a short command's start)."""
    upgrade(f"sqlite:///{sqlite_path}")
    probe = (
        "import sys\n"
        "from leadcapture.adapters import open_store\n"
        f"open_store('sqlite:///{sqlite_path}').close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
