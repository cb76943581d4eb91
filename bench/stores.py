"""Store benchmark (`python -m bench.stores`): captures per second on SQLite and PostgreSQL, beside raw sqlite3.

Measured in one run, on database files in `--dir` (the system's temporary folder by default: it must be a
real disk for `synchronous=FULL` to mean anything):

* single captures (`Engine.capture` of new leads, one transaction each) on SQLite with `synchronous=FULL`
  and `NORMAL`, into a nearly empty database and into one prefilled with `--existing` leads (1,000,000);
* the raw baseline (`bench.raw_sqlite.RawCapture`): the same reads and writes with plain sqlite3, and the
  same statements through SQLAlchemy Core;
* `Engine.capture_many` in batches of 1,000 rows (20% of them repeat an earlier person, so they update)
  into SQLite, and into PostgreSQL on a throwaway cluster with fsync on;
* the raw batch baselines: 1,000 new leads per transaction with plain sqlite3
  (`RawCapture.capture_batch`) and with plain psycopg 3 on the same PostgreSQL cluster
  (`bench.raw_postgres.RawPostgresBatches`, the fastest of `executemany`, an explicit pipeline, and
  `COPY` in text and binary format);
* where the time of one SQLite capture goes (validate, begin, read, decide, write, commit).

The disks of shared machines change speed from one minute to the next, so the single-capture figures are
taken in interleaved rounds (each round runs every figure for `--captures` captures, in a rotating order)
and each figure's ratio to the baseline is the median of its per-round ratios. The results are printed and
written between the markers of docs/benchmarks-stores.md.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import random  # noqa: TID251 - the benchmark draws its own bodies from a fixed seed
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec
from returns.result import Success

from bench import targets
from bench.floor import (
    AnsweringFloor,
    FloorCapture,
    check_agreement,
    check_answer_agreement,
    check_row_agreement,
    sql_rows,
)
from bench.raw_postgres import WAYS, RawPostgresBatches
from bench.raw_sqlite import AlchemyCapture, RawCapture, RawRow
from bench.report import cpu_model, load_average
from leadcapture import Engine, InMemoryLeadStore
from leadcapture.adapters.migrate import upgrade
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.match import CandidateQuery, Candidates

DOCS: Final = Path(__file__).resolve().parent.parent / "docs" / "benchmarks-stores.md"
BEGIN: Final = "<!-- bench:stores:begin (written by `python -m bench.stores`; edits here are overwritten) -->"
END: Final = "<!-- bench:stores:end -->"

TARGET_SINGLE_FULL: Final = 4_000
TARGET_MANY_SQLITE: Final = 25_000
TARGET_MANY_POSTGRES: Final = 20_000
TARGET_SCALE_SLOWDOWN: Final = 2.0

FIRST: Final = ("Aarav", "Diya", "Kabir", "Meera", "Rohan", "Saanvi", "Arjun", "Kavya", "Nikhil", "Priya", "Farhan")
LAST: Final = ("Sharma", "Iyer", "Reddy", "Nair", "Patel", "Mehta", "Kumar", "Das", "Joshi", "Menon", "Khan", "Rao")
CITIES: Final = ("Mumbai", "Delhi", "Bengaluru", "Hyderabad", "Chennai", "Kolkata", "Pune", "Jaipur", "Kochi")
SOURCES: Final = ("Website", "Google Ads", "Facebook", "LinkedIn", "Referral", "Webinar", "Inbound Call")
_HASH: Final = 2_654_435_761  # odd, so i -> i * _HASH mod 2**32 is one-to-one: every email is distinct
_PHONE_STEP: Final = 7_919  # prime, so i -> 6e9 + i * 7919 mod 4e9 is one-to-one: every phone is distinct
Row = TypeVar("Row")
_YEAR_AGO: Final = datetime.now(UTC).replace(microsecond=0) - timedelta(days=365)


# The workload: person i is one lead; its fields are a function of i, in Python and in SQL alike.


def person(i: int) -> dict[str, str]:
    """The capture body of new lead number `i` (its email and phone are unique to it)."""
    first = FIRST[i % len(FIRST)]
    return {
        "FirstName": first,
        "LastName": LAST[i // len(FIRST) % len(LAST)],
        "EmailAddress": f"{first.lower()}.{i * _HASH % 2**32:08x}@example.com",
        "Phone": str(6_000_000_000 + i * _PHONE_STEP % 4_000_000_000),
        "City": CITIES[i // 3 % len(CITIES)],
        "Source": SOURCES[i // 5 % len(SOURCES)],
    }


def repeat(i: int, visit: int) -> dict[str, str]:
    """Person `i` again, from another city: an update of its lead (matched by email)."""
    body = person(i)
    return {"EmailAddress": body["EmailAddress"].upper(), "City": CITIES[(i + visit) % len(CITIES)]}


def stream(first: int, rows: int, *, repeats: float, earlier: range, rng: random.Random) -> list[dict[str, str]]:
    """`rows` bodies of new persons from `first` on; a share `repeats` repeats a person met before."""
    bodies = []
    new = first
    for visit in range(rows):
        pool = new - first + len(earlier)
        if pool and rng.random() < repeats:
            pick = rng.randrange(pool)
            known = earlier[pick] if pick < len(earlier) else first + pick - len(earlier)
            bodies.append(repeat(known, visit))
        else:
            bodies.append(person(new))
            new += 1
    return bodies


def _sql_pick(names: Sequence[str], index_sql: str) -> str:
    return f"json_extract('{msgspec.json.encode(list(names)).decode()}', '$[' || ({index_sql}) || ']')"


def prefill(path: Path, count: int) -> None:
    """Write leads 0..count-1, their unique values and activities, as the engine would have, in bulk."""
    upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('lead_unique_values', 'activities')",
    ).fetchall()
    start = int(_YEAR_AGO.timestamp() * 1_000_000)
    conn.execute("BEGIN")
    for name, _ in indexes:  # built once at the end instead of row by row
        conn.execute(f"DROP INDEX {name}")
    first = _sql_pick(FIRST, f"i % {len(FIRST)}")
    conn.execute(
        "CREATE TEMP TABLE p AS WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)"  # noqa: S608 - built from constants
        f" SELECT i, {first} AS first, {_sql_pick(LAST, f'i / {len(FIRST)} % {len(LAST)}')} AS last,"
        f" printf('%s.%08x@example.com', lower({first}), i * {_HASH} % 4294967296) AS email,"
        f" printf('%d', 6000000000 + i * {_PHONE_STEP} % 4000000000) AS phone,"
        f" {_sql_pick(CITIES, f'i / 3 % {len(CITIES)}')} AS city,"
        f" {_sql_pick(SOURCES, f'i / 5 % {len(SOURCES)}')} AS source, ? + i * 1000 AS created,"
        " printf('%08x-%04x-7000-8000-%012x', (? + i) >> 16, (? + i) & 65535, i) AS lead_id FROM n",
        (count, start, start // 1000, start // 1000),
    )
    pairs = (
        "'FirstName', first, 'LastName', last, 'EmailAddress', email, 'Phone', '+91-' || phone,"
        " 'City', city, 'Source', source"
    )
    conn.execute(
        "INSERT INTO leads (id, fields, created_on, modified_on, last_activity_on, related_company_id, version)"  # noqa: S608
        f" SELECT lead_id, json_object({pairs}), created, created, created, NULL, 1 FROM p ORDER BY i",
    )
    conn.execute(
        "INSERT INTO lead_unique_values (field, key, lead_id) SELECT f, k, lead_id FROM"
        " (SELECT 'EmailAddress' AS f, email AS k, lead_id FROM p UNION ALL SELECT 'Phone', '+91' || phone, lead_id"
        " FROM p) ORDER BY f, k",
    )
    submitted = ", ".join(
        f"json_object('Attribute', '{name}', 'Value', {column})"
        for name, column in (
            ("FirstName", "first"),
            ("LastName", "last"),
            ("EmailAddress", "email"),
            ("Phone", "phone"),
            ("City", "city"),
            ("Source", "source"),
        )
    )
    changes = ", ".join(
        f"json_object('field', '{name}', 'old', '', 'new', {column})"
        for name, column in (
            ("FirstName", "first"),
            ("LastName", "last"),
            ("EmailAddress", "email"),
            ("Phone", "'+91-' || phone"),
            ("City", "city"),
            ("Source", "source"),
        )
    )
    conn.execute(
        "INSERT INTO activities (id, lead_id, event_code, event_name, created_on, data)"  # noqa: S608
        " SELECT printf('%s-8001-%012x', substr(lead_id, 1, 18), i), lead_id, 23, 'Lead Capture', created,"
        " json_object('type', 'LeadCapture', 'outcome', 'Created', 'rule', 'R-M9', 'matched_by', NULL,"
        f" 'behavior', NULL, 'submitted', json_array({submitted}), 'changes', json_array({changes}),"
        " 'source', json_object('Source', source)) FROM p ORDER BY i",
    )
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("DROP TABLE p")
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()


def check_prefill(path: Path, count: int) -> None:
    """Fail unless prefilled leads read back as the ones the engine makes from the same bodies."""
    store = SQLiteLeadStore(path, migrate=False)
    engine = Engine(store=InMemoryLeadStore())
    try:
        for i in (0, 1, count // 2, count - 1):
            made = engine.capture(person(i)).unwrap()
            email = person(i)["EmailAddress"].lower()
            (stored,) = store.find_leads("EmailAddress", email)
            assert stored.fields == made.decision.lead.fields, (stored.fields, made.decision.lead.fields)
            assert store.index_entries(stored.id) == made.decision.index
            (activity,) = store.activities(stored.id)
            assert made.decision.activity is not None
            assert activity.data == made.decision.activity.data
    finally:
        store.close()


def raw_rows(first: int, count: int) -> list[RawRow]:
    """The raw baseline's rows for new persons `first`.., their JSON encoded before timing."""
    encode = msgspec.json.encode
    moment = int(time.time() * 1_000_000)
    rows = []
    for i in range(first, first + count):
        body = person(i)
        fields = {**body, "Phone": "+91-" + body["Phone"]}
        lead_id = f"{0x0190_0000_0000 + i:012x}"
        lead_id = f"{lead_id[:8]}-{lead_id[8:]}-7000-8000-{i:012x}"
        activity_id = f"{lead_id[:19]}8001{lead_id[23:]}"
        data = {
            "type": "LeadCapture",
            "outcome": "Created",
            "rule": "R-M9",
            "matched_by": None,
            "behavior": None,
            "submitted": [{"Attribute": name, "Value": value} for name, value in body.items()],
            "changes": [{"field": name, "old": "", "new": value} for name, value in fields.items()],
            "source": {"Source": body["Source"]},
        }
        rows.append(
            RawRow(
                email_key=body["EmailAddress"].lower(),
                phone_key="+91" + body["Phone"],
                lead=(lead_id, encode(fields).decode(), moment, moment, moment, None, 1),
                activity=(activity_id, lead_id, 23, "Lead Capture", moment, encode(data).decode()),
            ),
        )
    return rows


# Measuring.


@dataclass
class Figure:
    """One measured figure: operations and the wall and CPU seconds they took, per round."""

    name: str
    unit: str
    note: str = ""
    counts: list[int] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    def record(self, count: int, wall: float, cpu: float) -> None:
        """Add one timed round."""
        self.counts.append(count)
        self.walls.append(wall)
        self.cpus.append(cpu)

    @property
    def rates(self) -> list[float]:
        """Operations per second, per round."""
        return [count / wall for count, wall in zip(self.counts, self.walls, strict=True)]

    @property
    def rate(self) -> float:
        """The median round's operations per second."""
        return statistics.median(self.rates)

    @property
    def cpu_micros(self) -> float:
        """Process CPU microseconds per operation, over all rounds."""
        return sum(self.cpus) / sum(self.counts) * 1e6

    def ratio_to(self, base: Figure) -> float:
        """The median over rounds of this figure's rate over the baseline's rate in the same round."""
        if base is self:
            return 1.0
        if len(self.rates) == len(base.rates):
            return statistics.median(mine / theirs for mine, theirs in zip(self.rates, base.rates, strict=True))
        return self.rate / base.rate


def timed(figure: Figure, count: int, work: Callable[[], object]) -> None:
    """Run `work` (which does `count` operations) once, recording its wall and CPU time in `figure`."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    figure.record(count, time.perf_counter() - wall, time.process_time() - cpu)


def ok(result: object) -> None:
    """Fail on a capture that did not succeed: a benchmark of errors measures nothing."""
    if not isinstance(result, Success):
        msg = f"capture failed: {result}"
        raise RuntimeError(msg)


@dataclass
class Single:
    """A single-capture figure: a figure and how to do its next `n` captures."""

    figure: Figure
    run: Callable[[int], None]


def engine_single(store: SQLiteLeadStore, first: int) -> Callable[[int], None]:
    """Captures of new persons `first`.. through `Engine.capture`."""
    engine = Engine(store=store)
    bodies = (person(i) for i in range(first, first + 10_000_000))

    def run(n: int) -> None:
        for _ in range(n):
            ok(engine.capture(next(bodies)))

    return run


def raw_single(capture: RawCapture | AlchemyCapture, first: int, total: int) -> Callable[[int], None]:
    """Raw captures of new persons `first`.. (`total` rows are made before timing)."""
    rows: Iterator[RawRow] = iter(raw_rows(first, total))

    def run(n: int) -> None:
        for _ in range(n):
            capture.capture(next(rows))

    return run


def rounds(singles: Sequence[Single], *, count: int, captures: int) -> None:
    """`count` rounds; each runs every figure for `captures` captures, starting one figure later each time."""
    for number in range(count):
        order = [*singles[number % len(singles) :], *singles[: number % len(singles)]]
        for single in order:
            timed(single.figure, captures, functools.partial(single.run, captures))
        print(
            f"  round {number + 1}/{count}: "
            + ", ".join(f"{s.figure.name} {s.figure.rates[-1]:,.0f}/s" for s in singles),
            flush=True,
        )


class _Answer:
    """A reader that answers one look-up it was given (to time deciding apart from reading)."""

    def __init__(self, candidates: Candidates) -> None:
        self._candidates = candidates

    def find_candidates(self, _query: CandidateQuery) -> Candidates:
        return self._candidates

    def apply(self, _decision: Any) -> Any:  # pragma: no cover - never called by Engine.decide
        raise NotImplementedError


PHASES: Final = ("validate", "begin", "read", "decide", "write", "commit")


def phase_breakdown(store: SQLiteLeadStore, first: int, count: int) -> dict[str, float]:
    """Microseconds per capture in each step of `Engine.capture_request`, over `count` new persons."""
    from leadcapture.core.match import candidate_query

    engine = Engine(store=store)
    totals = dict.fromkeys(PHASES, 0.0)
    clock = time.perf_counter
    for i in range(first, first + count):
        t0 = clock()
        request, behavior = engine.validate(person(i)).unwrap()
        t1 = clock()
        transaction = store.transaction()
        tx = transaction.__enter__()
        t2 = clock()
        candidates = tx.find_candidates(candidate_query(request, engine.schema))
        t3 = clock()
        decision = engine.decide(request, behavior, reader=_Answer(candidates))
        t4 = clock()
        assert isinstance(tx.apply(decision), Success)
        t5 = clock()
        transaction.__exit__(None, None, None)
        t6 = clock()
        for phase, spent in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True):
            totals[phase] += spent
    return {phase: spent / count * 1e6 for phase, spent in totals.items()}


def capture_many(figure: Figure, engine: Engine, batches: Sequence[Sequence[dict[str, str]]]) -> None:
    """Time `Engine.capture_many` over every batch (one transaction each); every row must succeed."""

    def run() -> None:
        for batch in batches:
            for result in engine.capture_many(batch):
                ok(result)

    timed(figure, sum(len(batch) for batch in batches), run)


def _floor_captures(rows: Sequence[dict[str, str]]) -> None:
    capture = FloorCapture().capture
    for row in rows:
        capture(row)


def _floor_captures_and_rows(rows: Sequence[dict[str, str]], floor: FloorCapture | AnsweringFloor) -> None:
    """`floor`, then the rows a SQL store binds for what it stored (one per lead, one per activity)."""
    capture = floor.capture
    for row in rows:
        capture(row)
    sql_rows(floor)


def measure_floor(rows: Sequence[dict[str, str]], folder: Path) -> tuple[Figure, Figure, Figure]:
    """The floor on `rows`; the floor and the SQL rows of what it stored; the answering floor and its rows.

    Each is checked before it is timed: the floor stores what the engine stores, its rows are what
    `SQLiteLeadStore` writes, and the answering floor also answers what `capture_many` answers for each row.
    """
    floor = Figure(
        "bench.floor.FloorCapture",
        "leads",
        "the same rows, stored as the engine stores them with nothing else: no engine goes under it",
    )
    check_agreement(rows)
    timed(floor, len(rows), functools.partial(_floor_captures, rows))
    floor_rows = Figure(
        "bench.floor.FloorCapture and its SQL rows",
        "leads",
        "the floor, then one `leads` row per lead and one `activities` row per activity (the SQL stores' encoders)",
    )
    check_row_agreement(rows, folder / "floor-rows.db")
    timed(floor_rows, len(rows), lambda: _floor_captures_and_rows(rows, FloorCapture()))
    answered_rows = Figure(
        "bench.floor.AnsweringFloor and its SQL rows",
        "leads",
        "the floor that also answers each row as the engine does (its receipt, decision and explanation), then"
        " its rows",
    )
    check_answer_agreement(rows)
    timed(answered_rows, len(rows), lambda: _floor_captures_and_rows(rows, AnsweringFloor()))
    return floor, floor_rows, answered_rows


def batches_of(bodies: list[Row], size: int) -> list[list[Row]]:
    """`bodies` cut into batches of `size`."""
    return [bodies[start : start + size] for start in range(0, len(bodies), size)]


# The machine.


def fsync_probe(folder: Path, writes: int = 200) -> float:
    """The median microseconds of a 4 KiB overwrite plus fdatasync in `folder` (what a FULL commit waits for)."""
    path = folder / "fsync-probe.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    spent = []
    try:
        for n in range(writes):
            start = time.perf_counter()
            os.pwrite(fd, b"x" * 4096, (n % 64) * 4096)
            os.fdatasync(fd)
            spent.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        path.unlink()
    return statistics.median(spent) * 1e6


def filesystem(folder: Path) -> str:
    """The device and file system `folder` is on, from /proc/mounts."""
    best = ("?", "?", "")
    try:
        for line in Path("/proc/mounts").read_text(encoding="utf-8").splitlines():
            device, mount, kind = line.split()[:3]
            if str(folder.resolve()).startswith(mount) and len(mount) >= len(best[2]):
                best = (device, kind, mount)
    except OSError:
        pass
    return f"{best[0]} ({best[1]}, mounted on {best[2]})"


# Reporting.


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table whose columns also line up in a terminal."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def figures_table(figures: Sequence[Figure], base: Figure, batch_bases: Mapping[str, Figure] | None = None) -> str:
    """Every figure with its rate, its ratio to the baseline and its CPU time per operation.

    With `batch_bases` (figure name -> the raw batches of its database), a column of ratios to those too.
    """
    rows = []
    for figure in figures:
        ratios = [f"{figure.ratio_to(base):.2f}"]
        if batch_bases is not None:
            raw = batch_bases.get(figure.name)
            ratios.append("" if raw is None else f"{figure.ratio_to(raw):.2f}")
        rows.append(
            (
                figure.name,
                f"{figure.rate:,.0f} {figure.unit}/s",
                *ratios,
                f"{1e6 / figure.rate:,.0f}",
                f"{figure.cpu_micros:,.0f}",
                figure.note,
            )
        )
    ratio_headers = ("ratio to baseline", "ratio to raw batches") if batch_bases is not None else ("ratio to baseline",)
    header = ("figure", "per second", *ratio_headers, "µs each (wall)", "CPU µs each", "what is timed")
    return table(header, rows)


def verdict(met: bool) -> str:
    """How a target came out."""
    return "**met**" if met else "**not met**"


def write_section(path: Path, section: str) -> None:
    """Replace the text between the markers of `path` (or append it) with `section`."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Store benchmarks\n\n"
    if BEGIN in text and END in text:
        before, _, rest = text.partition(BEGIN)
        _, _, after = rest.partition(END)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


# The run.


@dataclass
class Results:
    """Everything one run measured."""

    singles: dict[str, Figure]
    many: dict[str, Figure]
    phases: dict[str, dict[str, float]]
    machine: list[tuple[str, str]]
    options: argparse.Namespace


def measure_sqlite(
    folder: Path, options: argparse.Namespace
) -> tuple[dict[str, Figure], dict[str, Figure], dict[str, dict[str, float]]]:
    """The SQLite figures: prefill, interleaved single-capture rounds, phase breakdowns, capture_many."""
    existing = options.existing
    big = folder / "million.db"
    print(f"prefilling {existing:,} leads ...", flush=True)
    started = time.perf_counter()
    prefill(big, existing)
    check_prefill(big, existing)
    os.sync()
    print(f"  {time.perf_counter() - started:.0f} s, {big.stat().st_size / 1e6:,.0f} MB", flush=True)

    def fresh(name: str) -> Path:
        path = folder / name
        upgrade(f"sqlite:///{path}")
        return path

    total = options.rounds * options.captures
    # Person numbers: each figure draws from its own range, above the prefilled ones.
    ranges = iter(range(existing + 1_000_000, 2**31, 1_000_000))
    raw_full = RawCapture(fresh("raw-full.db"), "FULL")
    raw_normal = RawCapture(fresh("raw-normal.db"), "NORMAL")
    raw_full_big = RawCapture(big, "FULL")
    alchemy = AlchemyCapture(fresh("alchemy-full.db"), "FULL")
    stores = {
        "full": SQLiteLeadStore(fresh("engine-full.db"), synchronous="FULL"),
        "normal": SQLiteLeadStore(fresh("engine-normal.db"), synchronous="NORMAL"),
        "full-big": SQLiteLeadStore(big, synchronous="FULL"),
        "normal-big": SQLiteLeadStore(big, synchronous="NORMAL"),
    }
    at_m = f"{existing / 1e6:g}M" if existing >= 1_000_000 else f"{existing:,}"
    singles = [
        Single(
            Figure("raw sqlite3, FULL, empty (baseline)", "captures", "RawCapture: the same statements"),
            raw_single(raw_full, next(ranges), total),
        ),
        Single(
            Figure("Engine.capture, SQLite FULL, empty", "captures", "new leads, one transaction each"),
            engine_single(stores["full"], next(ranges)),
        ),
        Single(
            Figure("Engine.capture, SQLite NORMAL, empty", "captures", "new leads, one transaction each"),
            engine_single(stores["normal"], next(ranges)),
        ),
        Single(
            Figure(f"Engine.capture, SQLite FULL, {at_m} leads", "captures", "new leads, random keys"),
            engine_single(stores["full-big"], next(ranges)),
        ),
        Single(
            Figure(f"Engine.capture, SQLite NORMAL, {at_m} leads", "captures", "new leads, random keys"),
            engine_single(stores["normal-big"], next(ranges)),
        ),
        Single(
            Figure(f"raw sqlite3, FULL, {at_m} leads", "captures", "RawCapture on the prefilled file"),
            raw_single(raw_full_big, next(ranges), total),
        ),
        Single(
            Figure("raw sqlite3, NORMAL, empty", "captures", "RawCapture"), raw_single(raw_normal, next(ranges), total)
        ),
        Single(
            Figure("SQLAlchemy Core, FULL, empty", "captures", "AlchemyCapture: the same statements"),
            raw_single(alchemy, next(ranges), total),
        ),
    ]
    print(f"single captures: {options.rounds} rounds of {options.captures} per figure", flush=True)
    rounds(singles, count=options.rounds, captures=options.captures)
    phases = {
        "empty": phase_breakdown(stores["full"], next(ranges), options.phase_captures),
        f"{at_m} leads": phase_breakdown(stores["full-big"], next(ranges), options.phase_captures),
    }
    for capture in (raw_full, raw_normal, raw_full_big, alchemy):
        capture.close()

    print("capture_many into SQLite ...", flush=True)
    rng = random.Random(options.seed)
    rows = options.batches * options.batch_size
    many: dict[str, Figure] = {}
    many_empty = Figure(
        "Engine.capture_many, SQLite FULL, empty",
        "leads",
        f"{options.batches} batches of {options.batch_size:,}, 20% repeats",
    )
    store = SQLiteLeadStore(fresh("many.db"))
    capture_many(
        many_empty,
        Engine(store=store),
        batches_of(stream(next(ranges), rows, repeats=0.2, earlier=range(0), rng=rng), options.batch_size),
    )
    store.close()
    many_big = Figure(
        f"Engine.capture_many, SQLite FULL, {at_m} leads",
        "leads",
        f"{options.batches} batches of {options.batch_size:,}, 20% repeat random existing leads",
    )
    capture_many(
        many_big,
        Engine(store=stores["full-big"]),
        batches_of(stream(next(ranges), rows, repeats=0.2, earlier=range(existing), rng=rng), options.batch_size),
    )
    memory = Figure(
        "Engine.capture_many, InMemoryLeadStore", "leads", "the same batches with no database: the engine's own cost"
    )
    memory_rows = stream(next(ranges), rows, repeats=0.2, earlier=range(0), rng=rng)
    capture_many(memory, Engine(store=InMemoryLeadStore()), batches_of(memory_rows, options.batch_size))
    floor, floor_rows, answered_rows = measure_floor(memory_rows, folder)
    raw_bulk = Figure(
        "raw sqlite3 batches, FULL, empty",
        "leads",
        f"RawCapture.capture_batch: {options.batch_size:,} new leads per transaction",
    )
    bulk = RawCapture(fresh("raw-bulk.db"), "FULL")
    bulk_rows = raw_rows(next(ranges), rows)

    def capture_batches() -> None:
        for batch in batches_of(bulk_rows, options.batch_size):
            bulk.capture_batch(batch)

    timed(raw_bulk, rows, capture_batches)
    bulk.close()
    many.update(
        {
            "sqlite": many_empty,
            "sqlite-big": many_big,
            "memory": memory,
            "floor": floor,
            "floor-rows": floor_rows,
            "answering-floor-rows": answered_rows,
            "raw-bulk": raw_bulk,
        }
    )
    for each in stores.values():
        each.close()
    return {single.figure.name: single.figure for single in singles}, many, phases


def measure_postgres(options: argparse.Namespace, rng: random.Random) -> dict[str, Figure]:
    """Single captures, capture_many and the raw psycopg batches on a throwaway PostgreSQL cluster, fsync on."""
    from tests.support.postgres import create_database, throwaway_cluster

    from leadcapture.adapters.postgres import PostgresLeadStore

    figures = {}
    print("PostgreSQL (fsync on) ...", flush=True)
    with throwaway_cluster(fsync=True) as cluster:
        store = PostgresLeadStore(create_database(cluster, "bench_stores"))
        try:
            engine = Engine(store=store)
            single = Figure("Engine.capture, PostgreSQL", "captures", "new leads, one transaction each, fsync on")

            def capture_singles() -> None:
                for i in range(options.pg_captures):
                    ok(engine.capture(person(i)))

            timed(single, options.pg_captures, capture_singles)
            many = Figure(
                "Engine.capture_many, PostgreSQL",
                "leads",
                f"{options.batches} batches of {options.batch_size:,}, 20% repeats, fsync on",
            )
            bodies = stream(
                10_000_000,
                options.batches * options.batch_size,
                repeats=0.2,
                earlier=range(options.pg_captures),
                rng=rng,
            )
            capture_many(many, engine, batches_of(bodies, options.batch_size))
            figures = {"postgres-single": single, "postgres": many}
        finally:
            store.close()
        figures["raw-pg"] = raw_postgres_batches(cluster, options, create_database)
    return figures


def raw_postgres_batches(
    cluster: str, options: argparse.Namespace, create_database: Callable[[str, str], str]
) -> Figure:
    """The raw psycopg batches, each way of writing them into its own new database; the fastest way is the figure.

    `PostgresLeadStore` creates each database's tables, then `RawPostgresBatches` writes new leads on a
    connection of its own; the row counts afterwards show that every lead and every row of it was written.
    """
    from leadcapture.adapters.postgres import PostgresLeadStore

    rows = options.batches * options.batch_size
    tried = {}
    for number, way in enumerate(WAYS):
        url = create_database(cluster, f"bench_raw_{way.replace(' ', '_')}")
        PostgresLeadStore(url).close()
        figure = Figure(f"raw psycopg batches ({way}), fsync on", "leads")
        batches = batches_of(raw_rows(20_000_000 + number * 1_000_000, rows), options.batch_size)
        raw = RawPostgresBatches(url)
        try:
            write = raw.batch(way)

            def run(write: Callable[[Sequence[RawRow]], None] = write, batches: list[list[RawRow]] = batches) -> None:
                for batch in batches:
                    write(batch)

            timed(figure, rows, run)
            found = raw.counts()
        finally:
            raw.close()
        if found != (rows, 2 * rows, rows):
            msg = f"raw psycopg batches ({way}) wrote {found} leads, unique values, activities; wanted {rows} leads"
            raise RuntimeError(msg)
        print(f"  raw psycopg batches, {way}: {figure.rate:,.0f} leads/s", flush=True)
        tried[way] = figure
    best = max(tried, key=lambda way: tried[way].rate)
    others = ", ".join(f"{way} {figure.rate:,.0f}/s" for way, figure in tried.items() if way != best)
    fastest = tried[best]
    return Figure(
        "raw psycopg batches, fsync on",
        "leads",
        f"{options.batch_size:,} new leads per transaction, {best} (fastest; {others})",
        counts=fastest.counts,
        walls=fastest.walls,
        cpus=fastest.cpus,
    )


def machine_details(folder: Path, probes: Sequence[float], loads: Sequence[str]) -> list[tuple[str, str]]:
    """What the figures depend on."""
    from psycopg import pq

    server = pq.version_pretty(pq.__build_version__) if hasattr(pq, "__build_version__") else "?"
    cores = os.cpu_count() or 0
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", f"{cpu_model()}, {cores} cores"),
        ("disk of the SQLite files", filesystem(folder)),
        ("4 KiB write + fdatasync (median of 200) before / after", " / ".join(f"{p:,.0f} µs" for p in probes)),
        ("OS", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("Python / SQLite", f"{platform.python_version()} / {sqlite3.sqlite_version}"),
        ("psycopg / libpq", f"{version('psycopg')} / {server}"),
        ("SQLAlchemy", version("sqlalchemy")),
        ("load average (1/5/15 min) before / after", " / ".join(loads)),
    ]


def render(results: Results, command: str) -> str:
    """The generated part of docs/benchmarks-stores.md."""
    singles, many = results.singles, results.many
    base = next(iter(singles.values()))
    names = list(singles)
    full_empty, normal_empty, full_big, normal_big = (singles[n] for n in names[1:5])
    single_rows = figures_table(list(singles.values()), base)
    # Each batch figure next to the raw batches of its own database: what no code writing there can beat.
    raw_of = {
        "sqlite": "raw-bulk",
        "sqlite-big": "raw-bulk",
        "raw-bulk": "raw-bulk",
        "postgres": "raw-pg",
        "raw-pg": "raw-pg",
    }
    batch_bases = {many[key].name: many[raw] for key, raw in raw_of.items() if key in many and raw in many}
    many_rows = figures_table(list(many.values()), base, batch_bases)
    slowdown_full = full_empty.rate / full_big.rate
    slowdown_normal = normal_empty.rate / normal_big.rate
    targets = [
        (
            "single captures/s, SQLite FULL",
            f">= {TARGET_SINGLE_FULL:,}",
            f"{full_empty.rate:,.0f}",
            verdict(full_empty.rate >= TARGET_SINGLE_FULL),
        ),
        (
            f"slowdown at {names[3].rsplit(', ', 1)[1]} vs empty (FULL / NORMAL)",
            f"<= {TARGET_SCALE_SLOWDOWN:g}x",
            f"{slowdown_full:.2f}x / {slowdown_normal:.2f}x",
            verdict(max(slowdown_full, slowdown_normal) <= TARGET_SCALE_SLOWDOWN),
        ),
        (
            "capture_many leads/s, SQLite",
            f">= {TARGET_MANY_SQLITE:,}",
            f"{many['sqlite'].rate:,.0f}",
            verdict(many["sqlite"].rate >= TARGET_MANY_SQLITE),
        ),
    ]
    if "postgres" in many:
        raw_pg = f" (raw psycopg batches: {many['raw-pg'].rate:,.0f})" if "raw-pg" in many else ""
        targets.append(
            (
                "capture_many leads/s, PostgreSQL",
                f">= {TARGET_MANY_POSTGRES:,}",
                f"{many['postgres'].rate:,.0f}{raw_pg}",
                verdict(many["postgres"].rate >= TARGET_MANY_POSTGRES),
            )
        )
    ceilings = ceiling_lines(many)
    phase_rows = [
        (where, *(f"{spent[phase]:,.0f}" for phase in PHASES), f"{sum(spent.values()):,.0f}")
        for where, spent in results.phases.items()
    ]
    options = results.options
    return "\n".join(
        [
            BEGIN,
            "",
            f"Run: `{command}` ({options.rounds} interleaved rounds of {options.captures} captures per single-capture"
            f" figure; {options.existing:,} prefilled leads).",
            "",
            table(("machine", ""), results.machine),
            "",
            "Single captures (the baseline is the first row; ratios are medians of per-round ratios):",
            "",
            single_rows,
            "",
            "Batches (ratio to the same single-capture baseline, and to the raw batches of the same database engine,"
            " which write new leads into an empty database):",
            "",
            many_rows,
            "",
            table(("target", "wanted", "measured", ""), targets),
            "",
            *ceilings,
            f"Where one `Engine.capture` on SQLite FULL spends its time, µs per capture "
            f"(mean of {options.phase_captures:,} new leads, wall clock):",
            "",
            table(("database", *PHASES, "total"), phase_rows),
            "",
            END,
        ]
    )


def ceiling_lines(many: Mapping[str, Figure]) -> list[str]:
    """The ratio to the raw batches that capture_many could reach if it added only the engine's own CPU.

    The raw batches write the same rows with no engine; capture_many into `InMemoryLeadStore` is the engine
    with no database. Had capture_many cost no more than the sum of the two, per lead, its ratio to the raw
    batches would be raw / (raw + engine): the ceiling the engine's CPU sets, measured in this run. The floor
    (`bench/floor.py`) stores the same leads with nothing else; the raw batches bind rows made before timing,
    so a capture into the database also makes them from what it stored (`sql_rows`). raw / (raw + floor +
    rows) is what capture_many could reach with no engine code left above that floor and nothing else either.
    """
    if "memory" not in many:
        return []
    engine = 1e6 / many["memory"].rate
    rows = []
    for ours, raw, label in (("sqlite", "raw-bulk", "SQLite FULL"), ("postgres", "raw-pg", "PostgreSQL")):
        if ours in many and raw in many:
            raw_us, ours_us = 1e6 / many[raw].rate, 1e6 / many[ours].rate
            rest = ours_us - raw_us - engine
            target = targets.BY_KEY[f"{ours}-many"]
            floor = _floor_ceiling(many, raw_us)
            rows.append(
                (
                    label,
                    f"{ours_us:,.1f}",
                    f"{raw_us:,.1f}",
                    f"{engine:,.1f}",
                    f"{rest:,.1f}",
                    f"{raw_us / (raw_us + engine):.2f}x",
                    "-" if floor is None else f"{floor.floor:,.1f}",
                    "-" if floor is None or floor.rows is None else f"{floor.rows:,.1f}",
                    "-" if floor is None else f"{floor.ratio:.2f}x",
                    "-" if floor is None or floor.answered is None else f"{floor.answers:,.1f}",
                    "-" if floor is None or floor.answered is None else f"{floor.answered:.2f}x",
                    f"{many[ours].ratio_to(many[raw]):.2f}x",
                    f"{raw_us / target.wanted - raw_us:,.1f}",
                )
            )
    header = (
        "capture_many into",
        "µs per lead",
        "raw batches",
        "engine in memory",
        "the rest",
        "ceiling: raw / (raw + engine)",
        "floor in memory",
        "its rows",
        "ceiling: raw / (raw + floor + rows)",
        "the answers",
        "ceiling with the answers",
        "measured",
        "engine µs the target allows",
    )
    return [
        "What a lead in capture_many costs, in wall-clock µs per lead from this run: the raw batches' writes, the"
        " engine's own work (the same batches into `InMemoryLeadStore`), and the rest (reading candidates,"
        " staging the batch, building the bulk rows). The ceiling is the ratio capture_many would reach if it"
        " cost only the raw writes plus the engine. The floor (`bench/floor.py`: the same leads stored with"
        " no rule, explanation or rollback, the least Python can do for them) and its rows (the `leads` and"
        " `activities` rows of what it stored, one per lead and one per activity, made by the SQL stores'"
        " encoders, as the raw batches' rows are before timing; checked against what `SQLiteLeadStore` writes)"
        " in place of the engine give the ratio no engine written in Python can pass. The answers are what the"
        " answering floor (`AnsweringFloor`, which also returns each row's receipt as `capture_many` does,"
        " checked equal to it) costs above the floor; with them, the ceiling is what any engine giving"
        " `capture_many`'s answers can reach. The last column is how much engine time per lead the target"
        " would leave room for, even with nothing else.",
        "",
        table(header, rows),
        "",
    ]


@dataclass(frozen=True)
class FloorCeiling:
    """What the floor (and the rows it makes, if measured) cost per lead, and the ratio they leave."""

    floor: float
    rows: float | None
    ratio: float
    answers: float = 0.0
    """What answering each capture as the engine does costs above the floor (0 when not measured)."""
    answered: float | None = None
    """raw / (raw + floor + rows + answers), when the answering floor was measured."""


def _floor_ceiling(many: Mapping[str, Figure], raw_us: float) -> FloorCeiling | None:
    """raw / (raw + floor + rows): what capture_many could reach with only the floor's work above the raw batches."""
    if "floor" not in many:
        return None
    floor = 1e6 / many["floor"].rate
    with_rows = 1e6 / many["floor-rows"].rate if "floor-rows" in many else None
    rows = None if with_rows is None else max(with_rows - floor, 0.0)
    least = floor + (rows or 0.0)
    if "answering-floor-rows" not in many or with_rows is None:
        return FloorCeiling(floor=floor, rows=rows, ratio=raw_us / (raw_us + least))
    answering = 1e6 / many["answering-floor-rows"].rate
    answers = max(answering - with_rows, 0.0)
    return FloorCeiling(
        floor=floor,
        rows=rows,
        ratio=raw_us / (raw_us + least),
        answers=answers,
        answered=raw_us / (raw_us + least + answers),
    )


def record_ratios(many: Mapping[str, Figure]) -> None:
    """capture_many's rates as ratios to the raw batches of the same database engine, against their targets."""
    found, bounds = {}, {}
    for key, ours, raw in (("sqlite-many", "sqlite", "raw-bulk"), ("postgres-many", "postgres", "raw-pg")):
        if ours in many and raw in many:
            floor = _floor_ceiling(many, 1e6 / many[raw].rate)
            if floor is not None:
                # capture_many answers each row as the engine does: the bound with the answers, when measured.
                bounds[key] = floor.answered if floor.answered is not None else floor.ratio
            bound = "" if floor is None else f"; the floor and its rows above the raw batches leave {floor.ratio:.2f}x"
            if floor is not None and floor.answered is not None:
                bound += f", {floor.answered:.2f}x with the engine's answers"
            found[key] = (
                many[ours].ratio_to(many[raw]),
                f"{many[ours].rate:,.0f} vs {many[raw].rate:,.0f} leads/s{bound}",
            )
    targets.record("python -m bench.stores", found, bounds)


def main(argv: Sequence[str] = ()) -> int:
    """Parse `argv` (none: every default), measure, print, and record the results in docs/benchmarks-stores.md.

    `python -m bench.stores` passes its command line; `bench.stores.main()` runs the default benchmark.
    """
    parser = argparse.ArgumentParser(prog="python -m bench.stores", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="folder for the SQLite files (default: a temp folder)")
    parser.add_argument("--existing", type=int, default=1_000_000, help="leads prefilled for the large figures")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds of single captures")
    parser.add_argument("--captures", type=int, default=300, help="captures per figure per round")
    parser.add_argument("--phase-captures", type=int, default=500, help="captures timed step by step")
    parser.add_argument("--batches", type=int, default=20, help="capture_many batches per figure")
    parser.add_argument("--batch-size", type=int, default=1_000, help="rows per capture_many batch")
    parser.add_argument("--pg-captures", type=int, default=1_000, help="single captures on PostgreSQL")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL figures")
    parser.add_argument("--seed", type=int, default=20_260_701, help="seed of the repeats")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks-stores.md alone")
    options = parser.parse_args(list(argv))

    started = time.perf_counter()
    loads = [load_average()]
    with tempfile.TemporaryDirectory(prefix="leadcapture-bench-", dir=options.dir) as tmp:
        folder = Path(tmp)
        probes = [fsync_probe(folder)]
        singles, many, phases = measure_sqlite(folder, options)
        probes.append(fsync_probe(folder))
    if not options.no_postgres:
        many.update(measure_postgres(options, random.Random(options.seed + 1)))
    loads.append(load_average())
    results = Results(
        singles=singles,
        many=many,
        phases=phases,
        machine=machine_details(Path(options.dir or tempfile.gettempdir()), probes, loads),
        options=options,
    )
    command = " ".join(["python -m bench.stores", *argv])
    section = render(results, command)
    print(section)
    record_ratios(many)
    if not options.no_write:
        write_section(DOCS, section)
        print(f"\nwritten to {DOCS}")
    print(f"store benchmark took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
