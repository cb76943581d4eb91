"""HTTP benchmark (`python -m bench.http`): Lead.Capture per second over loopback, beside a baseline route.

A real `leadcapture serve` process (one uvicorn worker, SQLite with `synchronous=FULL`, the rate limit raised
out of the way) is loaded by `wrk` (Debian's package) with 32 connections for `--seconds` seconds each:

* **baseline**: `POST /bench/baseline` in the same app, which only decodes the capture body and answers a
  fixed success body: what HTTP, the framework and JSON cost before any capture work;
* **Lead.Capture, group commit** (the default): captures that arrive together commit in one transaction;
* **Lead.Capture, one transaction per request** (`--no-group-commit`), the design group commit replaced.

wrk's Lua script (`bench/http_capture.lua`) makes each body: 40% new leads, 40% an earlier lead's email
(in another casing half the time), 20% an earlier lead's phone only, in the written forms people type.
After each capture run the database is checked: every answer was 200, and there is one lead per new
person and one Lead Capture activity per answer. Results are printed and written between the markers of
docs/benchmarks-http.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random  # noqa: TID251 - the benchmark draws its own bodies from a fixed seed
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

import httpx
import msgspec

from bench import targets
from bench.floor import FloorCapture, check_agreement, sql_rows
from bench.floor_route import FLOOR_PATH
from bench.raw_sqlite import RawCapture
from bench.report import command_line, load_average, machine_details
from bench.stores import raw_rows
from leadcapture import Engine, InMemoryLeadStore
from leadcapture.adapters.migrate import upgrade
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.adapters.sqlite_checkpoints import BackgroundCheckpoints, CheckpointSchedule

DOCS: Final = Path(__file__).resolve().parent.parent / "docs" / "benchmarks-http.md"
SCRIPT: Final = Path(__file__).resolve().parent / "http_capture.lua"
BEGIN: Final = "<!-- bench:http:begin (written by `make bench`; edits here are overwritten) -->"
END: Final = "<!-- bench:http:end -->"
Item = TypeVar("Item")
CAPTURE_PATH: Final = "/v2/LeadManagement.svc/Lead.Capture"
BASELINE_PATH: Final = "/bench/baseline"
FLOOR_ROUTE: Final = "floor route (bench/floor_route.py), group commit"


@dataclass(frozen=True)
class Run:
    """What one wrk run measured."""

    name: str
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    server_cpu_seconds: float = 0.0
    """CPU time (user + system) the server process used during the run, from /proc."""
    seconds: int = 0
    mean_group: float = 0.0
    """Captures per group-commit transaction during the run, from the server's metrics (0 when none)."""

    @property
    def cpu_micros(self) -> float:
        """Server CPU microseconds per answered request."""
        return self.server_cpu_seconds / max(self.requests, 1) * 1e6

    @property
    def busy(self) -> float:
        """The server's CPU seconds per second of the run (1.0 = one core, all the GIL allows)."""
        return self.server_cpu_seconds / self.seconds if self.seconds else 0.0


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of process `pid` (all its threads), from /proc/PID/stat; 0 without /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """`leadcapture serve` on a SQLite file of its own, started and stopped by the benchmark."""

    def __init__(self, folder: Path, *extra: str, floor_route: bool = False) -> None:
        """Start the server with `extra` options; read the key it prints.

        With `floor_route` it is `bench.floor_route`'s server: the same app plus `POST /bench/floor`.
        """
        self.database = folder / "leads.db"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"server-{self.port}.log"
        program = ["bench.floor_route"] if floor_route else ["leadcapture.entrypoints.cli", "serve", "--baseline-route"]
        command = [
            sys.executable,
            "-m",
            *program,
            "--database",
            f"sqlite:///{self.database}",
            "--port",
            str(self.port),
            "--rate-limit",
            "100000000/1s",
            *extra,
        ]
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            self.stop()
            msg = f"the server did not start: {self.log.read_text()}"
            raise RuntimeError(msg)
        banner = self.log.read_text()
        access = re.search(r"AccessKey: (\S+)", banner)
        secret = re.search(r"SecretKey: (\S+)", banner)
        if access is None or secret is None:
            msg = f"no key in the banner: {banner}"
            raise RuntimeError(msg)
        self.access_key, self.secret_key = access.group(1), secret.group(1)

    def stop(self) -> None:
        """Stop the server and wait for it."""
        self.process.terminate()
        self.process.wait(timeout=60)


_REQUESTS: Final = re.compile(r"(\d+) requests in")
_RATE: Final = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX: Final = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS: Final = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_PERCENTILE: Final = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS: Final = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(name: str, server: Server, path: str, *, seconds: int, connections: int, seed: int) -> Run:  # noqa: PLR0913
    """Load `path` with wrk and the capture-body script; parse what it printed."""
    binary = shutil.which("wrk")
    if binary is None:
        msg = "wrk is not installed: apt-get install wrk"
        raise RuntimeError(msg)
    env = {
        **os.environ,
        "LC_ACCESS_KEY": server.access_key,
        "LC_SECRET_KEY": server.secret_key,
        "LC_PATH": path,
        "LC_SEED": str(seed),
    }
    cpu_before = process_cpu_seconds(server.process.pid)
    done = subprocess.run(  # noqa: S603
        [binary, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(SCRIPT), server.base_url],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    server_cpu = process_cpu_seconds(server.process.pid) - cpu_before
    out = done.stdout
    percentiles = {int(p): float(value) * _UNIT_MS[unit] for p, value, unit in _PERCENTILE.findall(out)}
    socket_errors = _SOCKET_ERRORS.search(out)
    rate, count = _RATE.search(out), _REQUESTS.search(out)
    if rate is None or count is None or 99 not in percentiles:
        msg = f"unexpected wrk output:\n{out}\n{done.stderr}"
        raise RuntimeError(msg)
    non_2xx = _NON_2XX.search(out)
    return Run(
        name=name,
        requests=int(count.group(1)),
        per_second=float(rate.group(1)),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        server_cpu_seconds=server_cpu,
        seconds=seconds,
    )


def wrk_like_bodies(count: int, seed: int) -> list[bytes]:
    """Bodies of the mix `http_capture.lua` sends (40% new, 40% an earlier email, 20% an earlier phone)."""
    rng = random.Random(seed)
    names = ("Asha", "Ben", "Chen", "Divya", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Jaya")
    cities = ("Pune", "Mumbai", "Delhi", "Chennai", "Kolkata", "Bengaluru")
    forms = (
        lambda p: p,
        lambda p: f"+91 {p[:5]} {p[5:]}",
        lambda p: f"+91-{p}",
        lambda p: f"0{p}",
        lambda p: f"(+91) {p[:5]}-{p[5:]}",
    )

    def phone(i: int) -> str:
        return str(9_000_000_000 + i * 7919 % 999_999_999)

    made, back, bodies = 0, 100, []
    for _ in range(count):
        r = rng.random()
        if made <= back or r < 0.4:
            made += 1
            pairs = {
                "FirstName": rng.choice(names),
                "LastName": f"Lead{made}",
                "EmailAddress": f"person{made}@example.com",
                "Phone": phone(made),
                "Source": "Web",
                "City": rng.choice(cities),
            }
        elif r < 0.8:
            address = f"person{rng.randint(1, made - back)}@example.com"
            pairs = {"EmailAddress": address.upper() if rng.random() < 0.5 else address, "City": rng.choice(cities)}
        else:
            pairs = {"Phone": rng.choice(forms)(phone(rng.randint(1, made - back))), "City": rng.choice(cities)}
        bodies.append(msgspec.json.encode([{"Attribute": k, "Value": v} for k, v in pairs.items()]))
    return bodies


def engine_cpu_micros(count: int = 20_000, group: int = 16, repeats: int = 3) -> float:
    """CPU microseconds per capture of `Engine.capture_many` in groups of `group` into `InMemoryLeadStore`.

    The same engine work each HTTP capture causes, with no HTTP, no threads and no database: measured in
    this process, in the same run, on bodies of the wrk script's mix.
    """
    bodies = wrk_like_bodies(count, seed=7)
    best = float("inf")
    for _ in range(repeats):
        engine = Engine(store=InMemoryLeadStore())
        started = time.process_time()
        for first in range(0, count, group):
            engine.capture_many(bodies[first : first + group])
        best = min(best, time.process_time() - started)
    return best / count * 1e6


def floor_cpu_micros(count: int = 20_000, repeats: int = 3) -> tuple[float, float]:
    """CPU microseconds per capture of the floor (`bench/floor.py`) on bodies of the wrk script's mix, and of
    making the SQL rows of what it stored (`sql_rows`: one per lead, one per activity).

    The floor stores what the engine stores for these bodies (checked first) with nothing else: what a
    capture costs at least in Python, whatever the engine. Plain sqlite3 binds rows made before timing, so
    a capture into the database also makes those rows.
    """
    bodies = wrk_like_bodies(count, seed=7)
    check_agreement(bodies)
    best, best_rows = float("inf"), float("inf")
    for _ in range(repeats):
        floor = FloorCapture()
        capture = floor.capture
        started = time.process_time()
        for body in bodies:
            capture(body)
        captured = time.process_time()
        sql_rows(floor)
        best, best_rows = min(best, captured - started), min(best_rows, time.process_time() - captured)
    return best / count * 1e6, best_rows / count * 1e6


def raw_sqlite_cpu_micros(folder: Path, group: float, count: int = 8_000, repeats: int = 2) -> float:
    """CPU microseconds per lead of plain sqlite3 writing new leads in transactions of `group` (`synchronous=FULL`).

    `RawCapture.capture_batch`: one look-up of the batch's keys, one `executemany` per table, one commit; the
    least the database takes from the process for each capture of a group commit.
    """
    size = max(1, round(group))
    best = float("inf")
    for attempt in range(repeats):
        path = folder / f"raw-sqlite-{attempt}.db"
        upgrade(f"sqlite:///{path}")
        raw = RawCapture(path, "FULL")
        try:
            best = min(best, _cpu_seconds_in_groups(raw_rows(0, count), size, raw.capture_batch))
        finally:
            raw.close()
    return best / count * 1e6


def raw_commit_millis(folder: Path, group: float, commits: int = 300) -> list[float]:
    """Wall-clock milliseconds of each of `commits` commits of `group` new leads by plain sqlite3 (FULL).

    `RawCapture.capture_batch` as in `raw_sqlite_cpu_micros`, one by one: how long a group commit keeps
    its captures waiting at the least, the database's write and fdatasync included. The log is
    checkpointed by a thread, as the server's is (adr/0061), so no commit copies it.
    """
    size = max(1, round(group))
    path = folder / "raw-sqlite-commits.db"
    upgrade(f"sqlite:///{path}")
    rows = raw_rows(0, commits * size)
    raw = RawCapture(path, "FULL")
    raw.checkpoint_elsewhere()
    checkpoints = BackgroundCheckpoints(path, CheckpointSchedule())
    spent = []
    try:
        for first in range(0, len(rows), size):
            started = time.perf_counter()
            raw.capture_batch(rows[first : first + size])
            spent.append((time.perf_counter() - started) * 1e3)
    finally:
        checkpoints.close()
        raw.close()
    return spent


def _cpu_seconds_in_groups(items: list[Item], size: int, write: Callable[[list[Item]], object]) -> float:
    """Process CPU seconds `write` takes over `items`, `size` at a time."""
    started = time.process_time()
    for first in range(0, len(items), size):
        write(items[first : first + size])
    return time.process_time() - started


def mean_group_size(server: Server) -> float:
    """Captures per group-commit transaction so far, from the server's `/metrics` (0 if it committed none)."""
    text = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    found = dict(re.findall(r"^leadcapture_group_commit_batch_size_(sum|count) ([\d.e+]+)$", text, re.MULTILINE))
    count = float(found.get("count", 0))
    return float(found.get("sum", 0)) / count if count else 0.0


def engine_sqlite_cpu_micros(folder: Path, group: float, count: int = 8_000, repeats: int = 2) -> float:
    """CPU microseconds per capture of `Engine.capture_many` in groups of `group` into SQLite (`synchronous=FULL`).

    What the group-commit writer does for each capture, without HTTP or threads: the engine and the store's
    reads, writes and commit, measured in this process on a new database file beside the server's.
    """
    size = max(1, round(group))
    bodies = wrk_like_bodies(count, seed=11)
    best = float("inf")
    for attempt in range(repeats):
        store = SQLiteLeadStore(folder / f"engine-sqlite-{attempt}.db")
        try:
            best = min(best, _cpu_seconds_in_groups(bodies, size, Engine(store=store).capture_many))
        finally:
            store.close()
    return best / count * 1e6


def check_database(server: Server, run: Run) -> None:
    """Every answer was a 200, and the database holds one Lead Capture activity per answer."""
    if run.non_2xx or run.errors:
        msg = f"{run.name}: {run.non_2xx} answers were not 200 and {run.errors} socket errors"
        raise RuntimeError(msg)
    with closing(sqlite3.connect(server.database)) as conn:
        (activities,) = conn.execute("SELECT count(*) FROM activities WHERE event_code = 23").fetchone()
    # wrk counts the answers it read; a request in flight when the clock stopped may still have committed.
    if not run.requests <= activities <= run.requests + 64:
        msg = f"{run.name}: {activities} capture activities for {run.requests} answers"
        raise RuntimeError(msg)


def measure(folder: Path, *, seconds: int, connections: int, seed: int) -> list[Run]:
    """The baseline and the two capture designs, each on a new server and database."""
    runs = []
    designs = [
        ("Lead.Capture, group commit", ()),
        ("Lead.Capture, one transaction per request", ("--no-group-commit",)),
    ]
    for index, (name, options) in enumerate(designs):
        run_folder = folder / f"run{index}"
        run_folder.mkdir()
        server = Server(run_folder, *options)
        try:
            if index == 0:
                wrk("warm-up", server, BASELINE_PATH, seconds=2, connections=connections, seed=seed)
                runs.append(wrk("baseline", server, BASELINE_PATH, seconds=seconds, connections=connections, seed=seed))
            run = wrk(name, server, CAPTURE_PATH, seconds=seconds, connections=connections, seed=seed + index)
            if index == 0:
                run = dataclasses.replace(run, mean_group=mean_group_size(server))
        finally:
            server.stop()
        if index == 0:  # the design served by default must answer every capture
            check_database(server, run)
        runs.append(run)
    runs.append(measure_floor_route(folder / "floor", seconds=seconds, connections=connections, seed=seed))
    return runs


def measure_floor_route(folder: Path, *, seconds: int, connections: int, seed: int) -> Run:
    """`POST /bench/floor` under the same load as Lead.Capture, on a server and database of its own.

    The server is warmed up on the baseline route first, as the capture route's is, so that the floor
    starts on an empty database as the capture does; every answer must be a 200 with one Lead Capture
    activity stored per answer.
    """
    folder.mkdir()
    server = Server(folder, floor_route=True)
    try:
        wrk("warm-up", server, BASELINE_PATH, seconds=2, connections=connections, seed=seed)
        run = wrk(FLOOR_ROUTE, server, FLOOR_PATH, seconds=seconds, connections=connections, seed=seed)
    finally:
        server.stop()
    check_database(server, run)
    return run


def cost_lines(
    runs: list[Run], engine_micros: float, sqlite_micros: float = 0.0, least: Least | None = None
) -> list[str]:
    """Where the capture route's server CPU goes, beside the baseline route's, and the ceiling that sets.

    `sqlite_micros` is `Engine.capture_many` into SQLite in groups of the run's mean size (0: not measured);
    `least` is what the floor and plain sqlite3 take for the same work.
    """
    base, grouped = runs[0], runs[1]
    if not base.server_cpu_seconds or not grouped.server_cpu_seconds:
        return []
    store_micros = max(sqlite_micros - engine_micros, 0.0)
    rest = grouped.cpu_micros - base.cpu_micros - engine_micros - store_micros
    ceiling = base.cpu_micros / (base.cpu_micros + engine_micros)
    store_lines = (
        [
            f"| of which the SQLite store: `capture_many` into SQLite FULL in groups of {grouped.mean_group:.0f} "
            f"(the run's mean), this run, less the engine | {store_micros:,.0f} | |",
        ]
        if sqlite_micros
        else []
    )
    store_ceiling = base.cpu_micros / (base.cpu_micros + engine_micros + store_micros)
    with_store = (
        [
            "",
            f"With the SQLite store's own work as well, the ceiling is {base.cpu_micros:,.0f} / ({base.cpu_micros:,.0f}"
            f" + {engine_micros:,.0f} + {store_micros:,.0f}) = **{store_ceiling:.2f}x**.",
        ]
        if sqlite_micros
        else []
    )
    least_lines = []
    if least is not None:
        least_ceiling = base.cpu_micros / (base.cpu_micros + least.floor + least.rows + least.raw_sqlite)
        least_lines = [
            "",
            f"The least a capture can add to the baseline route's work: the floor (`bench/floor.py`, the same leads"
            f" and activities stored with no rule, explanation or rollback) {least.floor:,.0f} µs, the SQL rows of"
            f" what it stored (`sql_rows`, one per lead and one per activity, which plain sqlite3's rows are made"
            f" of before timing) {least.rows:,.1f} µs, and plain sqlite3 writing new leads in transactions of"
            f" {least.group:.0f} (`RawCapture.capture_batch`, FULL) {least.raw_sqlite:,.0f} µs. A route that added"
            f" only those, and no key check, rate limit or hand-off, would reach {base.cpu_micros:,.0f} /"
            f" ({base.cpu_micros:,.0f} + {least.floor:,.0f} + {least.rows:,.1f} + {least.raw_sqlite:,.0f}) ="
            f" **{least_ceiling:.2f}x**.",
            "",
            f"A durable capture also waits for its group's commit, which the baseline route never does: plain"
            f" sqlite3 committing {least.group:.0f} new leads took {least.commit_p50:.1f} ms at the median and"
            f" {least.commit_p99:.1f} ms at the 99th percentile ({len(least.commit_millis)} commits, wall clock,"
            f" fdatasync included, the log checkpointed by a thread as the server's is), against the baseline"
            f" route's whole-request p99 of {base.p99_ms:.1f} ms"
            f" (the p99 target allows a capture {targets.BY_KEY['http-p99'].wanted * base.p99_ms:.1f} ms).",
        ]
    return [
        "",
        "Server CPU per answer (user + system, all threads, from /proc; the server's Python code runs on one",
        "core at a time, so a server whose CPU seconds per second are near 1 is bound by its CPU per request):",
        "",
        "| | CPU µs per answer | server CPU s per s |",
        "|---|---:|---:|",
        f"| baseline route | {base.cpu_micros:,.0f} | {base.busy:.2f} |",
        f"| Lead.Capture, group commit | {grouped.cpu_micros:,.0f} | {grouped.busy:.2f} |",
        f"| of which the baseline route's work (HTTP, framework, logging, metrics) | {base.cpu_micros:,.0f} | |",
        f"| of which the engine: `Engine.capture_many` in memory, same mix, this run | {engine_micros:,.0f} | |",
        *store_lines,
        f"| of which the rest: key check, rate limit, group-commit hand-offs, the answer"
        f"{'' if sqlite_micros else ', SQLite'} | {rest:,.0f} | |",
        "",
        f"A capture route that cost only the baseline route's work plus the engine's would reach "
        f"{base.cpu_micros:,.0f} / ({base.cpu_micros:,.0f} + {engine_micros:,.0f}) = **{ceiling:.2f}x** the baseline "
        f"(the ceiling the engine's CPU sets on this machine, this run); measured "
        f"{grouped.per_second / base.per_second:.2f}x.",
        *with_store,
        *least_lines,
    ]


@dataclass(frozen=True)
class Least:
    """The least a capture adds: CPU µs of the floor, of the SQL rows of what it stored and of plain sqlite3
    in groups of `group`, and how long plain sqlite3's commits of such a group take (wall-clock ms)."""

    floor: float
    rows: float
    raw_sqlite: float
    group: float
    commit_millis: list[float]

    @property
    def commit_p50(self) -> float:
        """The median commit, ms."""
        return statistics.median(self.commit_millis)

    @property
    def commit_p99(self) -> float:
        """The 99th percentile commit, ms."""
        return statistics.quantiles(self.commit_millis, n=100)[98]


def render(  # noqa: PLR0913 - the run's parts, keyword-only settings
    runs: list[Run],
    machine: list[tuple[str, str]],
    command: str,
    *,
    seconds: int,
    connections: int,
    engine_micros: float = 0.0,
    sqlite_micros: float = 0.0,
    least: Least | None = None,
) -> str:
    """The generated section of docs/benchmarks-http.md."""
    base = runs[0]
    lines = [
        BEGIN,
        "",
        f"Run: `{command}`; wrk with {connections} connections for {seconds} s per figure, one wrk thread.",
        "",
        "| figure | requests/s | ratio to baseline | p50 | p99 | answers | not 200 | timeouts and socket errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {run.name} | {run.per_second:,.0f} | {run.per_second / base.per_second:.2f}x | {run.p50_ms:.1f} ms "
        f"| {run.p99_ms:.1f} ms | {run.requests:,} | {run.non_2xx} | {run.errors} |"
        for run in runs
    ]
    grouped = runs[1]
    rate_ratio, p99_ratio = grouped.per_second / base.per_second, grouped.p99_ms / base.p99_ms
    floor_run = floor_route_run(runs)
    floor = floor_run.per_second / base.per_second if floor_run is not None else None
    lines += [
        "",
        f"Targets (ratios to the baseline route in this run): throughput at least "
        f"{targets.BY_KEY['http'].wanted:g}x, measured {rate_ratio:.2f}x: "
        f"**{targets.verdict('http', rate_ratio, floor)}**; "
        f"p99 at most {targets.BY_KEY['http-p99'].wanted:g}x the baseline's, measured {p99_ratio:.1f}x "
        f"({grouped.p99_ms:.1f} ms vs {base.p99_ms:.1f} ms): **{targets.verdict('http-p99', p99_ratio)}**.",
        *floor_route_lines(runs),
        *cost_lines(runs, engine_micros, sqlite_micros, least),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {item} | {value} |" for item, value in machine),
        "",
        END,
    ]
    return "\n".join(lines)


def floor_route_run(runs: list[Run]) -> Run | None:
    """The floor route's run among `runs`, if it was measured."""
    return next((run for run in runs if run.name == FLOOR_ROUTE), None)


def floor_route_lines(runs: list[Run]) -> list[str]:
    """What the floor route reached beside the baseline route and the capture route, when it was measured."""
    floor = floor_route_run(runs)
    if floor is None:
        return []
    base, grouped = runs[0], runs[1]
    wanted = targets.BY_KEY["http"].wanted
    reach = "leaves the target within reach" if floor.per_second / base.per_second >= wanted else "is below the target"
    return [
        "",
        f"The floor route (`POST /bench/floor`, `bench/floor_route.py`: the same app and server, storing each body"
        f" as the floor does and committing each group's SQL rows with plain sqlite3, FULL, from a writer thread,"
        f" with no key check, rate limit, rule or explanation) answered {floor.per_second:,.0f} requests/s:"
        f" **{floor.per_second / base.per_second:.2f}x** the baseline route (p99 {floor.p99_ms:.1f} ms,"
        f" {floor.cpu_micros:,.0f} CPU µs per answer), which {reach} of {wanted:g}x. It is the most a durable"
        f" capture route of this server reaches, whatever the engine; Lead.Capture reached"
        f" {grouped.per_second / floor.per_second:.2f}x the floor route.",
    ]


def record_ratios(runs: list[Run]) -> None:
    """The group-commit run's rate and p99 as ratios to the baseline route's, against their targets."""
    base, grouped = runs[0], runs[1]
    # The floor route does the same durable work with the least code: no capture route of this server goes past it.
    floor = floor_route_run(runs)
    targets.record(
        "python -m bench.http",
        {
            "http": (
                grouped.per_second / base.per_second,
                f"{grouped.per_second:,.0f} vs {base.per_second:,.0f} requests/s" + _floor_route_detail(runs),
            ),
            "http-p99": (grouped.p99_ms / base.p99_ms, f"p99 {grouped.p99_ms:.1f} ms vs {base.p99_ms:.1f} ms"),
        },
        {"http": floor.per_second / base.per_second} if floor is not None else {},
    )


def _floor_route_detail(runs: list[Run]) -> str:
    floor = floor_route_run(runs)
    if floor is None:
        return ""
    return f"; the floor route (the most any capture route reaches) {floor.per_second / runs[0].per_second:.2f}x"


def write_section(path: Path, section: str) -> None:
    """Replace the text between the markers of `path` with `section`."""
    text = path.read_text(encoding="utf-8")
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    path.write_text(before + section + after, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, report."""
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="seconds of load per figure (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--seed", type=int, default=20_261_126, help="seed of the bodies wrk sends")
    parser.add_argument("--dir", type=Path, default=None, help="where the database files go (a real disk)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks-http.md alone")
    options = parser.parse_args(argv)

    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="leadcapture-bench-http-", dir=options.dir) as folder:
        runs = measure(Path(folder), seconds=options.seconds, connections=options.connections, seed=options.seed)
        group = runs[1].mean_group
        sqlite_micros = engine_sqlite_cpu_micros(Path(folder), group) if group else 0.0
        least = None
        if group:
            raw_cpu = raw_sqlite_cpu_micros(Path(folder), group)
            least = Least(*floor_cpu_micros(), raw_cpu, group, raw_commit_millis(Path(folder), group))
    engine_micros = engine_cpu_micros()
    machine = machine_details(load_before, load_average())
    section = render(
        runs,
        machine,
        command_line(),
        seconds=options.seconds,
        connections=options.connections,
        engine_micros=engine_micros,
        sqlite_micros=sqlite_micros,
        least=least,
    )
    print(section)
    record_ratios(runs)
    if not options.no_write:
        write_section(DOCS, section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
