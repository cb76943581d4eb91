"""`python -m bench.importer`: `leadcapture preview` and `leadcapture import` of a generated CSV into SQLite.

The file holds `--rows` leads (1,000,000 for the full figure; a smaller default keeps `make bench` short),
20% of them repeats of a person met earlier in the file (an update by email, in upper case, from another
city). Both commands run as real processes, as a user runs them; their wall time and peak RSS (from
`wait4`) are recorded, beside a baseline measured in the same run: reading the same CSV with the csv module
and encoding one JSON line per row, the least an import that reports every row must do.
"""

from __future__ import annotations

import argparse
import csv
import gc
import importlib.util
import itertools
import os
import random  # noqa: TID251 - the generated file is seeded pseudo-random data
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import msgspec
from returns.result import Success

import leadcapture.service
from bench import targets
from bench.raw_sqlite import RawCapture
from bench.report import load_average, machine_details, table
from bench.stores import person, raw_rows, repeat
from leadcapture import Engine, InMemoryLeadStore
from leadcapture.adapters.migrate import upgrade
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.entrypoints.cli import IMPORT_GC_THRESHOLD

DOCS: Final = Path(__file__).resolve().parent.parent / "docs" / "benchmarks-import.md"
BEGIN: Final = "<!-- bench:import:begin (written by `make bench`; edits here are overwritten) -->"
END: Final = "<!-- bench:import:end -->"
COLUMNS: Final = ("EmailAddress", "FirstName", "LastName", "Phone", "City", "Source")
TARGETS: Final = {"import": 25_000.0, "preview": 60_000.0}
RSS_TARGET_MB: Final = 300.0


def write_leads(path: Path, rows: int, *, repeats: float, seed: int) -> int:
    """Write the CSV; returns how many distinct persons (leads) it holds."""
    rng = random.Random(seed)
    new = 0
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for visit in range(rows):
            if new and rng.random() < repeats:
                body = repeat(rng.randrange(new), visit)
            else:
                body = person(new)
                new += 1
            writer.writerow([body.get(column, "") for column in COLUMNS])
    return new


@dataclass
class Run:
    """One timed command: name, rows, wall seconds, peak RSS and peak anonymous RSS in MB, exit status."""

    name: str
    rows: int
    seconds: float
    peak_rss_mb: float
    peak_anon_mb: float
    status: int

    @property
    def rate(self) -> float:
        """Rows per second."""
        return self.rows / self.seconds


def _anonymous_rss_mb(pid: int) -> float:
    """The process's resident anonymous memory (heap, stacks), without file pages it maps (SQLite's mmap)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def timed_command(name: str, rows: int, args: list[str]) -> Run:
    """Run `leadcapture args` and measure it.

    Peak RSS is the kernel's `ru_maxrss` of that child (from `wait4`); it counts the pages of the database
    file SQLite maps into memory (`mmap_size`), which the kernel can drop at any time. Peak anonymous RSS
    is sampled from /proc every 0.2 s: the memory the import itself holds.
    """
    command = [str(Path(sys.executable).parent / "leadcapture"), *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    peak_anon = 0.0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak_anon = max(peak_anon, _anonymous_rss_mb(process.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(name, rows, seconds, usage.ru_maxrss / 1024, peak_anon, process.returncode)


def fastest(times: int, name: str, rows: int, args: list[str]) -> Run:
    """`timed_command` run `times` times; the fastest run (a failed one counts as slowest)."""
    runs = [timed_command(name, rows, args) for _ in range(times)]
    return min(runs, key=lambda run: (run.status != 0, run.seconds))


def baseline(path: Path, rows: int) -> Run:
    """Read the CSV with the csv module and encode each row as a JSON line: no validation, no database."""
    encode = msgspec.json.Encoder().encode
    started = time.perf_counter()
    written = 0
    with path.open(newline="", encoding="utf-8") as file, open(os.devnull, "wb") as sink:
        for row in csv.DictReader(file):
            written += sink.write(encode({name: value for name, value in row.items() if value}) + b"\n")
    seconds = time.perf_counter() - started
    assert written > 0
    return Run("baseline: csv read + JSON line per row", rows, seconds, 0.0, 0.0, 0)


ENGINE_ROWS: Final = 100_000
"""Rows of the file the in-process engine figure decides (a sample is enough for a rate per row)."""


def engine_alone(path: Path, rows: int) -> Run:
    """`Engine.preview` of each of the file's first rows on its own, on an empty in-memory store.

    The rows are read before the clock starts; nothing is applied, so each row is decided against no
    leads at all. That is the least any dry run does per row (validate, look up, decide), without reading
    the file, the database's lookups and writes, later rows seeing earlier ones, or the report: its rate
    bounds what a dry run can reach on this machine.
    """
    with path.open(newline="", encoding="utf-8") as file:
        read = itertools.islice(csv.DictReader(file), rows)
        bodies = [{name: value for name, value in row.items() if value} for row in read]
    preview = Engine(store=InMemoryLeadStore()).preview
    started = time.perf_counter()
    decided = sum(1 for body in bodies if isinstance(preview(body), Success))
    seconds = time.perf_counter() - started
    assert decided == len(bodies)
    return Run("reference: Engine.preview of each row alone, in memory", len(bodies), seconds, 0.0, 0.0, 0)


def dry_run_in_process(path: Path, folder: Path, rows: int) -> Run:
    """`Engine.preview_many` of the file's rows on an empty SQLite file, rows read beforehand, no report.

    What the dry run does per row once the process has started, with neither the file nor the report:
    each row decided in order against the rows before it, inside a transaction that is rolled back (the
    rows before it held in memory, adr/0058).
    """
    database = folder / "dry-run.db"
    upgrade(f"sqlite:///{database}")
    with path.open(newline="", encoding="utf-8") as file:
        read = itertools.islice(csv.DictReader(file), rows)
        bodies = [{name: value for name, value in row.items() if value} for row in read]
    store = SQLiteLeadStore(database, migrate=False)
    before = gc.get_threshold()
    # The collector runs as often as in `leadcapture preview` (adr/0058), so that the command's cost splits
    # into this figure and what only the command does.
    gc.set_threshold(IMPORT_GC_THRESHOLD, *before[1:])
    try:
        started = time.perf_counter()
        decided = sum(1 for result in Engine(store=store).preview_many(bodies) if isinstance(result, Success))
        seconds = time.perf_counter() - started
    finally:
        gc.set_threshold(*before)
        store.close()
    assert decided == len(bodies)
    return Run("reference: Engine.preview_many of the rows, SQLite, in process", len(bodies), seconds, 0.0, 0.0, 0)


def raw_writes(folder: Path, count: int, batch_size: int) -> Run:
    """Write `count` new leads with plain sqlite3, `batch_size` per transaction, as the import's batches do.

    The store benchmark's raw baseline (`bench.raw_sqlite.RawCapture.capture_batch`): one look-up of every
    key, then one `executemany` per table (leads, unique values, activities) and a `synchronous=FULL`
    commit, on a freshly migrated file, rows made before the clock starts. The least time the real
    import's writes can take, with no engine, no file and no report.
    """
    database = folder / "raw.db"
    upgrade(f"sqlite:///{database}")
    rows = raw_rows(0, count)
    capture = RawCapture(database, "FULL")
    started = time.perf_counter()
    for first in range(0, count, batch_size):
        capture.capture_batch(rows[first : first + batch_size])
    seconds = time.perf_counter() - started
    capture.close()
    return Run("reference: raw sqlite3 batches of new leads", count, seconds, 0.0, 0.0, 0)


def check(database: Path, report: Path, rows: int, leads: int) -> str:
    """The import made one lead per person and reported every row; raises if not."""
    with sqlite3.connect(database) as conn:
        stored = conn.execute("SELECT count(*) FROM leads").fetchone()[0]
    with report.open("rb") as file:
        lines = sum(1 for _ in file)
    if stored != leads or lines != rows:
        msg = f"expected {leads} leads and {rows} report lines, found {stored} and {lines}"
        raise SystemExit(msg)
    return f"checked: {stored:,} leads stored for {rows:,} rows; {lines:,} report lines"


def section(runs: list[Run], base: Run, machine: list[tuple[str, str]], notes: list[str]) -> str:
    """The generated Markdown: the baseline, in-process references (no memory figures), then the commands."""
    rows = [
        (
            run.name,
            f"{run.rows:,}",
            f"{run.seconds:,.1f}",
            f"{run.rate:,.0f}",
            f"{run.rate / base.rate:.2f}x" if run is not base else "1.00x",
            f"{run.peak_rss_mb:,.0f}" if run.peak_rss_mb else "-",
            f"{run.peak_anon_mb:,.0f}" if run.peak_anon_mb else "-",
        )
        for run in [base, *runs]
    ]
    runs = [run for run in runs if run.name.startswith("leadcapture ")]
    header = ("figure", "rows", "seconds", "rows/s", "ratio to baseline", "peak RSS MB", "peak anonymous RSS MB")
    results = table(header, rows)
    targets = [
        f"- `{run.name.split()[1]}`: {run.rate:,.0f} rows/s against a target of "
        f"{TARGETS[run.name.split()[1]]:,.0f} ({'met' if run.rate >= TARGETS[run.name.split()[1]] else 'NOT met'}); "
        f"peak RSS {run.peak_rss_mb:,.0f} MB against {RSS_TARGET_MB:,.0f} MB "
        f"({'met' if run.peak_rss_mb < RSS_TARGET_MB else 'NOT met'}; anonymous memory alone "
        f"{run.peak_anon_mb:,.0f} MB, {'under' if run.peak_anon_mb < RSS_TARGET_MB else 'over'} it)"
        for run in runs
    ]
    return "\n\n".join(
        [
            BEGIN,
            f"Run: `{' '.join(['python -m bench.importer', *sys.argv[1:]]).strip()}`.",
            table(("machine", ""), machine),
            results,
            "\n".join(targets),
            "\n".join(f"- {note}" for note in notes),
            END,
        ],
    )


def write(path: Path, text: str) -> None:
    """Replace the generated part of `path`, keeping the hand-written text around it."""
    old = path.read_text(encoding="utf-8")
    before, _, rest = old.partition(BEGIN)
    _, _, after = rest.partition(END)
    path.write_text(before + text + after, encoding="utf-8")


def preview_bound(preview: Run, startup: Run, engine: Run, base: Run) -> float:
    """The most `leadcapture preview` of this file can reach against the reference, whatever the engine.

    A dry run of the file decides every row (the reference's work), starts a process (the one-row run) and
    reads the file and writes a line per row (the baseline, which does nothing else): the reference's time
    over the sum of the three.
    """
    engine_us = engine.seconds / engine.rows * 1e6
    least = startup.seconds / preview.rows * 1e6 + engine_us + base.seconds / base.rows * 1e6
    return engine_us / least


def preview_cost(preview: Run, startup: Run, dry: Run, engine: Run, base: Run) -> list[str]:
    """The dry run's µs per row split into process start, the engine alone, SQLite staging, and file + report."""
    per_row = preview.seconds / preview.rows * 1e6
    start = startup.seconds / preview.rows * 1e6
    engine_us = engine.seconds / engine.rows * 1e6
    staged = dry.seconds / dry.rows * 1e6 - engine_us
    rest = per_row - start - engine_us - staged
    without_start = engine_us / (per_row - start)
    source = Path(leadcapture.service.__file__)
    compiled = Path(importlib.util.cache_from_source(str(source))).exists()
    how = "" if compiled else ", every module compiled from source: none is cached, PYTHONDONTWRITEBYTECODE is set"
    return [
        f"where a row of `leadcapture preview` goes, µs per row of {preview.rows:,}: {per_row:,.1f} in all ="
        f" {start:,.1f} process start ({startup.seconds:.2f} s for a one-row file"
        f"{how if os.environ.get('PYTHONDONTWRITEBYTECODE') else ''}) + {engine_us:,.1f} the engine alone"
        f" (the reference) + {staged:,.1f} deciding in order on SQLite, each row staged where later rows see it"
        f" (`Engine.preview_many` in process minus the engine alone) + {rest:,.1f} reading the file and writing"
        f" the report; without the process start the dry run reaches {without_start:.2f}x the reference",
        f"the least a dry run of this file adds to the reference: the process start ({start:,.1f} µs per row) and"
        f" reading the file and writing a line per row with nothing else (the baseline,"
        f" {base.seconds / base.rows * 1e6:,.1f}), so no dry run of it reaches more than"
        f" {preview_bound(preview, startup, engine, base):.2f}x the reference"
        f" (target {targets.BY_KEY['preview'].wanted:g}x)",
    ]


def main(argv: list[str] | None = None) -> int:
    """Generate, preview, import, check, report."""
    parser = argparse.ArgumentParser(prog="python -m bench.importer", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the CSV (1000000 for the full figure)")
    parser.add_argument("--repeats", type=float, default=0.2, help="share of rows repeating an earlier person")
    parser.add_argument("--batch-size", type=int, default=1_000, help="the import's --batch-size")
    parser.add_argument("--seed", type=int, default=20_261_126, help="seed of the generated file")
    parser.add_argument("--dir", type=Path, default=None, help="where the files go (default: a temporary folder)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks-import.md alone")
    options = parser.parse_args(argv)

    load_before = load_average()
    with tempfile.TemporaryDirectory(dir=options.dir) as folder:
        root = Path(folder)
        source = root / "leads.csv"
        leads = write_leads(source, options.rows, repeats=options.repeats, seed=options.seed)
        size_mb = source.stat().st_size / 1e6
        database = root / "leads.db"
        url = f"sqlite:///{database}"
        common = ["--no-progress", "--batch-size", str(options.batch_size), "-d", url]
        # The database exists (with its schema) before either run, so neither pays for creating it.
        upgrade = [str(Path(sys.executable).parent / "leadcapture"), "db", "upgrade", "-d", url]
        subprocess.run(upgrade, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        one_row = root / "one-row.csv"
        with source.open(encoding="utf-8") as file:
            one_row.write_text(file.readline() + file.readline(), encoding="utf-8")
        # A dry run changes nothing, so it can be timed again: the fastest of a few runs is the least
        # disturbed by whatever else the machine did meanwhile.
        startup = fastest(
            3,
            "leadcapture preview of a one-row file (process start, imports, opening the database)",
            1,
            ["preview", str(one_row), "--report", str(root / "one-row.jsonl"), *common],
        )
        preview = fastest(
            2,
            "leadcapture preview (dry run)",
            options.rows,
            ["preview", str(source), "--report", str(root / "preview.jsonl"), *common],
        )
        real = timed_command(
            "leadcapture import (real)",
            options.rows,
            ["import", str(source), "--report", str(root / "import.jsonl"), *common],
        )
        for run in (startup, preview, real):
            if run.status != 0:
                msg = f"{run.name} exited with {run.status}"
                raise SystemExit(msg)
        checked = check(database, root / "import.jsonl", options.rows, leads)
        db_mb = database.stat().st_size / 1e6
        # In-process figures last: a command started after them would count this process's pages, copied
        # into it before it runs `leadcapture`, in its peak RSS.
        base = baseline(source, options.rows)
        engine = engine_alone(source, min(options.rows, ENGINE_ROWS))
        raw = raw_writes(root, min(options.rows, ENGINE_ROWS), options.batch_size)
        dry = dry_run_in_process(source, root, min(options.rows, ENGINE_ROWS))
    machine = machine_details(load_before, load_average())
    notes = [
        f"file: {options.rows:,} rows, {leads:,} distinct persons ({options.repeats:.0%} repeats), {size_mb:,.0f} MB;"
        f" SQLite file after the import {db_mb:,.0f} MB; batch size {options.batch_size:,}",
        checked,
        "both commands write a JSON line per row (`--report`) and run without the progress bar; their time "
        "includes starting the process (about a second)",
    ]
    notes.append(
        f"the reference row decides the first {engine.rows:,} rows each on its own with `Engine.preview` on an"
        " empty in-memory store, rows read beforehand: the least work per row of any dry run, so its rate bounds"
        f" the dry run's on this machine; the dry run reaches {preview.rate / engine.rate:.0%} of it",
    )
    notes.append(
        f"the raw sqlite3 row writes {raw.rows:,} new leads (a lead, its two unique values, its activity) in"
        f" transactions of {options.batch_size:,} with plain sqlite3, `synchronous=FULL`: the writes alone,"
        f" the ceiling of any real import here; the import reaches {real.rate / raw.rate:.0%} of it",
    )
    notes.extend(preview_cost(preview, startup, dry, engine, base))
    text = section([engine, dry, raw, preview, real], base, machine, notes)
    print(text)
    detail = (
        f"{preview.rate:,.0f} vs {engine.rate:,.0f} rows/s, {options.rows:,} rows;"
        f" at best {preview_bound(preview, startup, engine, base):.2f}x (process start, file and report)"
    )
    targets.record(
        "python -m bench.importer",
        {"preview": (preview.rate / engine.rate, detail)},
        {"preview": preview_bound(preview, startup, engine, base)},
    )
    if not options.no_write:
        write(DOCS, text)
        print(f"\nwritten to {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
