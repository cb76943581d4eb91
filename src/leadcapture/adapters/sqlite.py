"""`SQLiteLeadStore`: the embedded default, a single database file and no server.

Each thread gets its own connection. Captures write inside `BEGIN IMMEDIATE`, which takes SQLite's single
write lock up front, so the look-up and the write of one capture (or of a whole batch) see the same data and
never deadlock; other writers wait up to the busy timeout. The journal is WAL, so readers never block the
writer. `synchronous=FULL` (the default) makes an acknowledged capture survive power loss (adr/0015).
Reads of large databases go through a memory map and a 64 MiB page cache per connection.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Final, Literal

from returns.result import Result

from leadcapture.adapters.revision import sqlite_file_at_head
from leadcapture.adapters.sql import OK, Conflict, SQLTransaction, Statements, conflict_from
from leadcapture.adapters.sqlite_checkpoints import BackgroundCheckpoints, CheckpointSchedule
from leadcapture.adapters.sqlstore import ConnectionUsage, SQLStoreBase
from leadcapture.ports import StoreConflict

Synchronous = Literal["FULL", "NORMAL"]
DEFAULT_BUSY_TIMEOUT_MS: Final = 30_000
_STATEMENTS: Final = Statements("sqlite")
_CONFLICTS: Final = (sqlite3.IntegrityError, Conflict)
CACHE_SIZE_KIB: Final = 65_536
"""Page cache per connection (64 MiB): the inner pages of every index of a million leads stay in memory."""
MMAP_SIZE: Final = 1 << 30
"""Reads go through a 1 GiB memory map instead of a read() call per page."""


class SQLiteLeadStore(SQLStoreBase):
    """Leads in one SQLite file. Run the migrations first: `open_store` does, and so does `migrate=True`."""

    def __init__(  # noqa: PLR0913 - the file and its settings, all but the path keyword-only
        self,
        path: str | Path,
        *,
        synchronous: Synchronous = "FULL",
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        migrate: bool = True,
        memory_map_bytes: int = MMAP_SIZE,
        background_checkpoints: CheckpointSchedule | None = None,
    ) -> None:
        """Open (and by default create or upgrade) the database at `path`.

        With `background_checkpoints` the write-ahead log is copied into the database file by a thread of
        the store's own, on that schedule, instead of inside the commit that fills it (`BackgroundCheckpoints`,
        adr/0061): a server does, so that no capture waits for that copy and its fsync. `close` stops it.

        `memory_map_bytes` bounds how much of the file SQLite reads through a memory map (0: none). Mapped
        pages count in the process's resident memory, so a long bulk import that must stay small sets it
        low; its own page cache (`CACHE_SIZE_KIB`) keeps the indexes' inner pages either way.
        """
        if memory_map_bytes < 0:
            msg = f"memory_map_bytes must be 0 or more, not {memory_map_bytes}"
            raise ValueError(msg)
        if synchronous not in ("FULL", "NORMAL"):
            msg = f"synchronous must be FULL or NORMAL, not {synchronous!r}"
            raise ValueError(msg)
        self.path = Path(path)
        self.synchronous = synchronous
        self._busy_timeout_ms = busy_timeout_ms
        self.memory_map_bytes = memory_map_bytes
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        if migrate and not sqlite_file_at_head(self.path, timeout_seconds=busy_timeout_ms / 1000):
            from leadcapture.adapters.migrate import upgrade

            upgrade(f"sqlite:///{self.path}")
        self._ensure_wal()
        self.checkpoints = (
            BackgroundCheckpoints(self.path, background_checkpoints) if background_checkpoints is not None else None
        )
        """The thread checkpointing the log, when the store was opened with `background_checkpoints`."""

    def _ensure_wal(self) -> None:
        """Switch the file to WAL once (the mode is stored in the file), waiting out other processes doing it too.

        Changing the journal mode needs the file to itself and SQLite answers "database is locked" at once
        instead of calling the busy handler, so several processes opening a new file together retry here.
        """
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        with closing(sqlite3.connect(self.path, isolation_level=None, timeout=self._busy_timeout_ms / 1000)) as conn:
            while True:
                try:
                    (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
                    if str(mode).lower() == "wal":
                        return
                    conn.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError:
                    if time.monotonic() >= deadline:
                        raise
                    time.sleep(0.01)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=self._busy_timeout_ms / 1000,
            )
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA cache_size=-{CACHE_SIZE_KIB}")
            conn.execute(f"PRAGMA mmap_size={int(self.memory_map_bytes)}")
            if self.checkpoints is not None:
                conn.execute("PRAGMA wal_autocheckpoint=0")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[SQLTransaction]:
        """A write transaction (`BEGIN IMMEDIATE`): commits when the block ends, rolls back on an exception."""
        conn = self._connection()
        if self.checkpoints is not None:
            self.checkpoints.before_write(conn)
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield SQLTransaction(cur, _STATEMENTS, control=_Control(cur))
        except BaseException:
            if cur.connection.in_transaction:  # a failed restart may have left none
                cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    @contextmanager
    def _reading(self) -> Iterator[SQLTransaction]:
        cur = self._connection().cursor()
        yield SQLTransaction(cur, _STATEMENTS, control=_Control(cur))

    def connection_usage(self) -> ConnectionUsage:
        """The connections open: one per thread that used the store (SQLite has no pool to lend them from)."""
        with self._connections_lock:
            return ConnectionUsage(open=len(self._connections))

    def close(self) -> None:
        """Stop the checkpoint thread, if any, and close every connection this store opened."""
        if self.checkpoints is not None:
            self.checkpoints.close()
            self.checkpoints = None  # connections opened after this checkpoint as SQLite does by itself
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


class _Control:
    """Undoing a refused write on a sqlite3 connection: a savepoint, or a new `BEGIN IMMEDIATE`."""

    conflicts: tuple[type[BaseException], ...] = _CONFLICTS

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self._cur = cur

    def savepoint(self, write: Callable[[], None]) -> Result[None, StoreConflict]:
        cur = self._cur
        cur.execute("SAVEPOINT decision")
        try:
            write()
        except _CONFLICTS as exc:
            cur.execute("ROLLBACK TO decision")
            cur.execute("RELEASE decision")
            return conflict_from(exc)
        cur.execute("RELEASE decision")
        return OK

    def restart(self) -> None:
        self._cur.execute("ROLLBACK")
        self._cur.execute("BEGIN IMMEDIATE")

    def cursor(self) -> sqlite3.Cursor:
        return self._cur.connection.cursor()

    def pipeline(self) -> AbstractContextManager[object]:
        # In-process: every statement runs when it is executed.
        return nullcontext()

    def copy(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:  # pragma: no cover - PostgreSQL only
        msg = "SQLite has no COPY"
        raise NotImplementedError(msg)
