"""Checkpoints of a SQLite write-ahead log run beside the writers instead of inside their commits (adr/0061).

SQLite's own automatic checkpoint runs in the commit that takes the log past 1,000 pages: that commit
copies the log into the database file and waits for the file's fsync before it returns, so every capture
waiting for that commit waits for it too, and a group commit's slowest answers are these. A
`BackgroundCheckpoints` turns the automatic checkpoint off on the store's connections and runs passive
checkpoints on a thread of its own, which copy the log and sync the file while the writers go on (sqlite3
releases the interpreter lock while SQLite works).

A log is only reused from its start by a write that begins when every frame of it is in the database
file. Under steady writes a background pass never ends in that state, since frames are appended while it
syncs; so once a pass has caught up with a log of `restart_pages` or more (or the log is overdue), the next write first
checkpoints the few frames appended since, on its own connection, and the log starts again. The copying
and most of the syncing have then already been done, and the write waits only for what is left.

Durability does not change: a commit is durable once its frames are in the synced log, whoever copies
them to the database file later and whenever.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

PASS_SECONDS: Final = 0.25
"""How often the thread copies the log into the database file."""
RESTART_PAGES: Final = 16_000
"""A log this long (64 MiB of 4 KiB pages) starts again from its beginning once a pass has caught up.

Each start makes one write wait for a checkpoint of its own, so it is 16 times SQLite's own 1,000 pages:
at a server's full rate that is one write in several hundred instead of one in a few dozen."""
OVERDUE_PAGES: Final = 32_000
"""A log this long is checkpointed by the next write whatever the thread has done."""
_CHECKPOINT: Final = "PRAGMA wal_checkpoint(PASSIVE)"


@dataclass(frozen=True)
class CheckpointSchedule:
    """How often the thread checkpoints, and how long a log grows before it starts again."""

    pass_seconds: float = PASS_SECONDS
    restart_pages: int = RESTART_PAGES
    overdue_pages: int = OVERDUE_PAGES

    def __post_init__(self) -> None:
        if self.pass_seconds <= 0 or self.restart_pages < 1 or self.overdue_pages < self.restart_pages:
            msg = f"a checkpoint schedule needs a positive pass and overdue_pages >= restart_pages >= 1: {self}"
            raise ValueError(msg)


class BackgroundCheckpoints:
    """A thread that checkpoints one SQLite file's log; `before_write` is called on a connection about to write."""

    def __init__(self, path: Path, schedule: CheckpointSchedule) -> None:
        """Start checkpointing the log of the database at `path` as `schedule` says."""
        self._path = path
        self._schedule = schedule
        self._restart_due = False
        self.log_pages = 0
        """The log's length in pages at the last pass, the thread's or a write's."""
        self.passes = 0
        """Passes the thread has made."""
        self.restarts = 0
        """Checkpoints a write made so that the log starts again."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="leadcapture-sqlite-checkpoints", daemon=True)
        self._thread.start()

    def before_write(self, conn: sqlite3.Connection) -> None:
        """Finish a caught-up checkpoint on `conn` so that the write about to begin starts the log again."""
        if not self._restart_due:
            return
        self._restart_due = False
        self._checkpoint(conn)
        self.restarts += 1

    def close(self) -> None:
        """Stop the thread (after the pass it may be making)."""
        self._stop.set()
        self._thread.join()

    @property
    def running(self) -> bool:
        """Whether the thread is still checkpointing."""
        return self._thread.is_alive()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            schedule = self._schedule
            while not self._stop.wait(schedule.pass_seconds):
                caught_up = self._checkpoint(conn)
                self.passes += 1
                pages = self.log_pages
                if (caught_up and pages >= schedule.restart_pages) or pages >= schedule.overdue_pages:
                    self._restart_due = True
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> bool:
        """One passive checkpoint; whether it copied every frame the log held when it began."""
        try:
            busy, pages, copied = conn.execute(_CHECKPOINT).fetchone()
        except sqlite3.OperationalError:  # another connection is checkpointing: the next pass will do
            return False
        self.log_pages = max(0, int(pages))
        return not busy and pages >= 0 and copied == pages
