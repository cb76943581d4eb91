"""A capturing process killed at any moment leaves a consistent database that still holds every acknowledged capture.

A child process captures in a loop and appends each capture to a log (flushed and fsynced) only after the
engine acknowledged it. The parent kills it with SIGKILL a random 50-400 ms after it started acknowledging,
checks the database with plain SQL, and starts it again on the same database, over and over.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integration.workers import SQLITE_PREFIX, seeded, spawn

KILLS = 20
SEED = 4242
ACK_TIMEOUT_S = 60.0
CAPTURE_EVENT_CODE = 23


@dataclass
class AckLog:
    """What the child logged: acknowledged captures, and batches begun (`intents`) and acknowledged."""

    acks: list[dict[str, Any]] = field(default_factory=list)
    intents: dict[str, int] = field(default_factory=dict)
    acked_batches: set[str] = field(default_factory=set)


def read_log(path: Path) -> AckLog:
    """The complete lines of the child's log (a line cut short by the kill was never acknowledged)."""
    log = AckLog()
    if not path.exists():
        return log
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if not line.endswith("\n"):
            break
        record = json.loads(line)
        if "intent" in record:
            log.intents[record["intent"]] = record["rows"]
        elif "acked" in record:
            log.acked_batches.add(record["acked"])
            log.acks.extend(record["acks"])
        else:
            log.acks.append(record)
    return log


def drop_cut_line(path: Path) -> None:
    """Remove a last line the previous kill cut short, so that the next run's lines start on a line of their own."""
    if path.exists():
        data = path.read_bytes()
        path.write_bytes(data[: data.rfind(b"\n") + 1])


def acknowledged_since(log: Path, offset: int) -> bool:
    """Whether the log holds a complete acknowledgement line after byte `offset`."""
    if not log.exists():
        return False
    with log.open("rb") as file:
        file.seek(offset)
        return any(line.endswith(b"\n") and b'"intent"' not in line for line in file)


def run_and_kill(args: list[str], log: Path, delay_s: float) -> None:
    """Start a worker, wait for its first new acknowledgement, let it run `delay_s` more, then SIGKILL it."""
    before = log.stat().st_size if log.exists() else 0
    proc = spawn(*args)
    try:
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while not acknowledged_since(log, before):
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the worker acknowledged nothing"
            time.sleep(0.002)
        time.sleep(delay_s)
        assert proc.poll() is None, proc.communicate()[1]
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, err


def rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    """All rows of a query, from a sqlite3 or a psycopg connection."""
    return [tuple(row) for row in conn.execute(sql).fetchall()]


def expected_index(leads: list[tuple[str, str]]) -> set[tuple[str, str, str]]:
    """The unique values the leads' own fields call for (the workloads use only email and phone)."""
    entries = set()
    for lead_id, fields_json in leads:
        fields = json.loads(fields_json)
        if fields.get("EmailAddress"):
            entries.add(("EmailAddress", fields["EmailAddress"].lower(), lead_id))
        if fields.get("Phone"):
            entries.add(("Phone", fields["Phone"].replace("-", ""), lead_id))
    return entries


def batch_tags(conn: Any) -> Counter[str]:
    """How many Lead Capture activities carry each batch tag (the Notes value every row of a batch has)."""
    tags: Counter[str] = Counter()
    for (data,) in rows(conn, f"SELECT data FROM activities WHERE event_code = {CAPTURE_EVENT_CODE}"):
        for attribute in json.loads(data)["submitted"]:
            if attribute["Attribute"] == "Notes":
                tags[attribute["Value"]] += 1
    return tags


def check_invariants(conn: Any, log: AckLog) -> None:
    """Check referential consistency, that every acknowledged capture is stored, and that batches are whole."""
    assert rows(conn, "SELECT l.id FROM leads l LEFT JOIN activities a ON a.lead_id = l.id WHERE a.id IS NULL") == []
    assert rows(conn, "SELECT a.id FROM activities a LEFT JOIN leads l ON l.id = a.lead_id WHERE l.id IS NULL") == []
    for table in ("lead_unique_values", "lead_lookup_values"):
        orphans = f"SELECT v.field, v.key FROM {table} v LEFT JOIN leads l ON l.id = v.lead_id WHERE l.id IS NULL"
        assert rows(conn, orphans) == [], table
    leads = rows(conn, "SELECT id, fields FROM leads")
    unique = rows(conn, "SELECT field, key, lead_id FROM lead_unique_values")
    assert set(unique) == expected_index(leads)
    assert len(unique) == len(set(unique))

    lead_ids = {lead_id for lead_id, _ in leads}
    activity_leads = dict(rows(conn, "SELECT id, lead_id FROM activities"))
    holders = {key: lead_id for name, key, lead_id in unique if name == "EmailAddress"}
    for ack in log.acks:
        assert ack["lead"] in lead_ids, ack
        assert activity_leads.get(ack["activity"]) == ack["lead"], ack
        assert holders.get(ack["email"]) == ack["lead"], ack

    if log.intents:
        tags = batch_tags(conn)
        for tag, size in log.intents.items():
            expected = (size,) if tag in log.acked_batches else (0, size)
            assert tags[tag] in expected, (tag, size, tags[tag])


@contextmanager
def sqlite_checked(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to a file that passes SQLite's own integrity and foreign key checks."""
    with closing(sqlite3.connect(path)) as conn:
        assert rows(conn, "PRAGMA integrity_check") == [("ok",)]
        assert rows(conn, "PRAGMA foreign_key_check") == []
        yield conn


def unacked_batches(log: AckLog) -> set[str]:
    """The batches the child began but never acknowledged."""
    return set(log.intents) - log.acked_batches


def kill_repeatedly(command: str, url: str, log_path: Path, check: Callable[[AckLog], None]) -> AckLog:
    """Run and kill the `command` worker KILLS times on `url`, calling `check(log)` after each kill."""
    rng = seeded(SEED)
    log = AckLog()
    for run in range(1, KILLS + 1):
        before = log
        args = [command, url, f"--log={log_path}", f"--run={run}", f"--seed={SEED}"]
        drop_cut_line(log_path)
        run_and_kill(args, log_path, rng.uniform(0.05, 0.4))
        log = read_log(log_path)
        assert len(log.acks) > len(before.acks)
        assert len(unacked_batches(log) - unacked_batches(before)) <= 1
        check(log)
    return log


def sqlite_check(path: Path) -> Callable[[AckLog], None]:
    """After a kill: SQLite's own checks, then the invariants, on a plain sqlite3 connection."""

    def check(log: AckLog) -> None:
        with sqlite_checked(path) as conn:
            check_invariants(conn, log)

    return check


def assert_mixed(log: AckLog) -> None:
    """The workload both created leads and updated existing ones."""
    outcomes = Counter(ack["outcome"] for ack in log.acks)
    assert outcomes["Created"] > 0
    assert outcomes["Updated"] > 0


def test_crash_sqlite_killed_capture_loop_keeps_every_acknowledged_capture(sqlite_path: Path, tmp_path: Path) -> None:
    """SIGKILLing a SQLite (FULL) capture loop 20 times leaves an intact file holding every acknowledged capture."""
    log = kill_repeatedly("crash", f"{SQLITE_PREFIX}{sqlite_path}", tmp_path / "acks.log", sqlite_check(sqlite_path))
    assert_mixed(log)


def test_crash_sqlite_killed_capture_many_keeps_batches_whole(sqlite_path: Path, tmp_path: Path) -> None:
    """SIGKILLing a SQLite capture_many loop 20 times keeps each batch all or nothing and every acked batch.

    The loop checkpoints its log on a thread (adr/0061), as the server does, every 5 ms: kills land during
    those copies too.
    """
    log = kill_repeatedly(
        "crash-batches",
        f"{SQLITE_PREFIX}{sqlite_path}",
        tmp_path / "acks.log",
        sqlite_check(sqlite_path),
    )
    assert_mixed(log)
    with closing(sqlite3.connect(sqlite_path)) as conn:
        tags = batch_tags(conn)
    assert any(tags[tag] == 0 for tag in unacked_batches(log)), "no kill landed before a batch committed"


def test_crash_postgres_killed_client_keeps_every_acknowledged_capture(postgres_url: str, tmp_path: Path) -> None:
    """SIGKILLing a PostgreSQL client's capture loop 20 times leaves consistent tables holding every acked capture."""
    import psycopg

    def check(log: AckLog) -> None:
        with psycopg.connect(postgres_url) as conn:
            check_invariants(conn, log)

    log = kill_repeatedly("crash", postgres_url, tmp_path / "acks.log", check)
    assert_mixed(log)
