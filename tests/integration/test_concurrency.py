"""Several OS processes capturing the same identities at once never make two leads of one person (R-M10).

Eight processes each capture 500 times over 100 shared identities (an email and a phone each, written in
varying forms) against one database. Each process first visits every identity with both identifiers, all
in the same order and released at the same moment, so they race to create the same leads; the rest of
its captures give a random identity's email, phone or both. A serial run of the same captures makes
exactly one lead per identity and answers no error, so anything else is a race the store let through.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from tests.integration.workers import SQLITE_PREFIX, email_key, open_store, phone_key, spawn

from leadcapture import ExceptionType

PROCESSES = 8
CAPTURES = 500
IDENTITIES = 100
SEED = 1010
TIMEOUT_S = 300


def run_contenders(url: str) -> list[dict[str, Any]]:
    """Start every worker, release them together once all are ready, and collect their reports."""
    procs = [
        spawn(
            "contend",
            url,
            f"--worker={worker}",
            f"--captures={CAPTURES}",
            f"--identities={IDENTITIES}",
            f"--seed={SEED}",
            stdin=subprocess.PIPE,
        )
        for worker in range(PROCESSES)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line == "ready\n", proc.communicate(timeout=TIMEOUT_S)[1]
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        reports = []
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT_S)
            assert proc.returncode == 0, err
            reports.append(json.loads(out.splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()  # reaps the process and closes its pipes
    return reports


@contextmanager
def raw_connection(url: str) -> Iterator[Any]:
    """A plain DBAPI connection (sqlite3 or psycopg) to the database at `url`."""
    if url.startswith(SQLITE_PREFIX):
        with closing(sqlite3.connect(url.removeprefix(SQLITE_PREFIX))) as conn:
            yield conn
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            yield conn


def capture_activity_outcomes(url: str) -> tuple[int, Counter[str]]:
    """The number of Lead Capture activities (event code 23), and how many there are of each outcome."""
    with raw_connection(url) as conn:
        (total,) = conn.execute("SELECT count(*) FROM activities WHERE event_code = 23").fetchone()
        rows = conn.execute("SELECT data FROM activities WHERE event_code = 23").fetchall()
    return total, Counter(json.loads(data)["outcome"] for (data,) in rows)


def check_contention(url: str) -> None:
    """Run the contenders against `url` and check one lead per identity and one activity per capture."""
    open_store(url, migrate=True).close()
    reports = run_contenders(url)

    outcomes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    samples: list[str] = []
    receipts: dict[int, set[str]] = {}
    touched: set[int] = set()
    for report in reports:
        outcomes.update(report["outcomes"])
        errors.update(report["errors"])
        samples.extend(report["samples"])
        touched.update(report["touched"])
        for identity, lead_ids in report["leads"].items():
            receipts.setdefault(int(identity), set()).update(lead_ids)
    successes = sum(outcomes.values())
    duplicates = errors.pop(ExceptionType.DUPLICATE_ENTRY.value, 0)

    assert not errors, samples
    assert successes + duplicates == PROCESSES * CAPTURES
    assert touched == set(range(IDENTITIES))
    assert outcomes["Created"] == len(touched), outcomes

    store = open_store(url, migrate=False)
    try:
        for i in sorted(touched):
            by_email = [lead.id for lead in store.find_leads("EmailAddress", email_key(i))]
            by_phone = [lead.id for lead in store.find_leads("Phone", phone_key(i))]
            assert len(by_email) == 1, (i, by_email)
            assert by_phone == by_email, (i, by_email, by_phone)
            assert receipts[i] == set(by_email), (i, receipts[i], by_email)
        assert len(store.leads()) == len(touched)
    finally:
        store.close()

    total, by_outcome = capture_activity_outcomes(url)
    assert total == successes + duplicates
    assert by_outcome.pop("DuplicateRejected", 0) == duplicates
    assert sum(by_outcome.values()) == successes
    assert by_outcome == outcomes


def test_M10_sqlite_processes_racing_on_shared_identities_make_one_lead_each(sqlite_path: Path) -> None:
    """8 processes x 500 captures over 100 identities on one SQLite file: one lead each, one activity a capture."""
    check_contention(f"{SQLITE_PREFIX}{sqlite_path}")


def test_M10_postgres_processes_racing_on_shared_identities_make_one_lead_each(postgres_url: str) -> None:
    """8 processes x 500 captures over 100 identities in PostgreSQL: one lead each, one activity a capture."""
    check_contention(postgres_url)
