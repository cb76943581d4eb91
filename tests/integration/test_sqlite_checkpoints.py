"""Checkpoints of SQLite's write-ahead log on a thread of the store's own (adr/0061), on a real SQLite file."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from leadcapture import Engine
from leadcapture.adapters import open_store
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.adapters.sqlite_checkpoints import CheckpointSchedule

# Small enough that a second of captures starts the log again many times.
QUICK = CheckpointSchedule(pass_seconds=0.01, restart_pages=40, overdue_pages=400)
SQLITE_AUTOCHECKPOINT_PAGES = 1000
CAPTURES = 1500
PAGE_BYTES = 4096


def _autocheckpoint(store: SQLiteLeadStore) -> int:
    """The automatic checkpoint size of the connection the store gives this thread (0: off)."""
    (pages,) = store._connection().execute("PRAGMA wal_autocheckpoint").fetchone()
    return int(pages)


def _capture(engine: Engine, first: int, count: int) -> None:
    for i in range(first, first + count):
        body = {"EmailAddress": f"lead{i}@example.com", "FirstName": f"Lead {i}", "Source": "Website"}
        assert engine.capture(body).unwrap().is_created


def _plain_checks(path: Path) -> tuple[int, str]:
    """Leads and integrity as a plain sqlite3 connection sees the file (log included)."""
    with closing(sqlite3.connect(path)) as conn:
        (leads,) = conn.execute("SELECT count(*) FROM leads").fetchone()
        (integrity,) = conn.execute("PRAGMA integrity_check").fetchone()
    return int(leads), str(integrity)


def test_steady_writes_start_the_log_again_and_lose_nothing(sqlite_path: Path) -> None:
    """Writes go on while the thread copies the log; the log starts again from its beginning, every lead kept."""
    store = SQLiteLeadStore(sqlite_path, background_checkpoints=QUICK)
    engine = Engine(store=store)
    checkpoints = store.checkpoints
    assert checkpoints is not None
    try:
        _capture(engine, 0, CAPTURES)
        restarts = checkpoints.restarts
        # Read before closing: the last connection to close copies the log and removes its file.
        log_pages = (sqlite_path.parent / f"{sqlite_path.name}-wal").stat().st_size // PAGE_BYTES
    finally:
        store.close()

    assert restarts >= 3, "the log never started again"
    # Every lead written, and the file whole, to a connection that knows nothing of the thread.
    assert _plain_checks(sqlite_path) == (CAPTURES, "ok")
    # Each capture writes several pages through the log; reused from its start, the log file never held
    # as many pages as there were captures.
    assert log_pages < CAPTURES


def test_store_connections_leave_checkpoints_to_the_thread_and_others_to_sqlite(sqlite_path: Path) -> None:
    """With the thread, commits never checkpoint (autocheckpoint off); without it, SQLite's own default holds."""
    with_thread = SQLiteLeadStore(sqlite_path, background_checkpoints=QUICK)
    plain = SQLiteLeadStore(sqlite_path)
    try:
        assert _autocheckpoint(with_thread) == 0
        assert _autocheckpoint(plain) == SQLITE_AUTOCHECKPOINT_PAGES
        assert plain.checkpoints is None
    finally:
        with_thread.close()
        plain.close()


def test_close_stops_the_thread_and_later_connections_checkpoint_as_sqlite_does(sqlite_path: Path) -> None:
    """A closed store used again has no thread left to copy its log, so its commits copy it themselves."""
    store = SQLiteLeadStore(sqlite_path, background_checkpoints=QUICK)
    checkpoints = store.checkpoints
    assert checkpoints is not None
    assert checkpoints.running
    store.close()
    try:
        assert not checkpoints.running
        assert store.checkpoints is None
        assert _autocheckpoint(store) == SQLITE_AUTOCHECKPOINT_PAGES
    finally:
        store.close()


def test_open_store_checkpoints_in_the_background_only_when_asked(sqlite_path: Path) -> None:
    """`open_store(url, background_checkpoints=True)` is what the server opens; commands keep SQLite's way."""
    url = f"sqlite:///{sqlite_path}"
    server_store = open_store(url, background_checkpoints=True)
    command_store = open_store(url)
    try:
        assert isinstance(server_store, SQLiteLeadStore)
        assert isinstance(command_store, SQLiteLeadStore)
        assert server_store.checkpoints is not None
        assert server_store.checkpoints.running
        assert command_store.checkpoints is None
    finally:
        server_store.close()
        command_store.close()


@pytest.mark.parametrize(
    "schedule",
    [
        {"pass_seconds": 0.0},
        {"restart_pages": 0},
        {"restart_pages": 100, "overdue_pages": 99},
    ],
)
def test_a_schedule_that_could_never_work_is_refused(schedule: dict[str, float]) -> None:
    """A pass that never waits, or a log that could never start again, is a clear error at once."""
    with pytest.raises(ValueError, match="checkpoint schedule"):
        CheckpointSchedule(**schedule)  # type: ignore[arg-type]
