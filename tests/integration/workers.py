"""Child-process entry points for the concurrency and crash-safety tests.

Each runs as `python -m tests.integration.workers <command> ...` from the repository root, as `spawn` starts it.

* `contend`: one of several processes capturing over a shared pool of identities; prints `ready`, waits for
  a line on stdin (so that every process starts at once), captures, and prints one JSON report.
* `crash`: captures in an endless loop, appending each acknowledged capture to a log file (flushed and
  fsynced) only after the engine answered Success, until the parent kills it.
* `crash-batches`: the same with `Engine.capture_many` batches; an `intent` line is logged before each
  batch and an `acked` line after it returned.
"""

from __future__ import annotations

import argparse
import json
import os
import random  # noqa: TID251 - the test workloads are pseudo-random on purpose, from explicit seeds
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from returns.result import Failure, Success

from leadcapture import CaptureReceipt, Engine, Problem
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.adapters.sqlite_checkpoints import CheckpointSchedule

if TYPE_CHECKING:
    from leadcapture.adapters.postgres import PostgresLeadStore

REPO_ROOT = Path(__file__).resolve().parents[2]
SQLITE_PREFIX = "sqlite:///"

EMAIL_FORMS = ("user{i}@example.com", "USER{i}@EXAMPLE.COM", "User{i}@Example.com", " user{i}@example.com ")
PHONE_FORMS = (
    "90000{i:05d}",
    "+91 90000 {i:05d}",
    "+91-90000{i:05d}",
    "090000{i:05d}",
    "+9190000{i:05d}",
    "(+91) 90000{i:05d}",
)
FIRST_NAMES = ("Asha", "Ben", "Chen", "Dara", "Eli", "Farah", "Goran", "Hana")


def seeded(seed: int | str) -> random.Random:
    """A pseudo-random generator that gives the same sequence for the same seed."""
    return random.Random(seed)  # noqa: S311 - reproducible test workloads, not secrets


def email_key(i: int) -> str:
    """The match key of identity `i`'s email."""
    return f"user{i}@example.com"


def phone_key(i: int) -> str:
    """The match key (E.164) of identity `i`'s phone."""
    return f"+9190000{i:05d}"


def worker_command(*args: str) -> list[str]:
    """The command line that runs this module's `args` command in a fresh interpreter."""
    return [sys.executable, "-m", "tests.integration.workers", *args]


def spawn(*args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    """Start a worker process from the repository root, with its stdout (and stdin if asked) piped."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        worker_command(*args),
        cwd=REPO_ROOT,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def open_store(
    url: str, *, migrate: bool, checkpoints: CheckpointSchedule | None = None
) -> SQLiteLeadStore | PostgresLeadStore:
    """The store at `url`: a SQLite file for `sqlite:///path` (synchronous=FULL, `checkpoints`), else PostgreSQL."""
    if url.startswith(SQLITE_PREFIX):
        path = url.removeprefix(SQLITE_PREFIX)
        return SQLiteLeadStore(path, synchronous="FULL", migrate=migrate, background_checkpoints=checkpoints)
    from leadcapture.adapters.postgres import PostgresLeadStore

    return PostgresLeadStore(url, migrate=migrate)


@contextmanager
def engine_at(url: str, *, migrate: bool, checkpoints: CheckpointSchedule | None = None) -> Iterator[Engine]:
    """An engine over the store at `url`, closed afterwards."""
    store = open_store(url, migrate=migrate, checkpoints=checkpoints)
    try:
        yield Engine(store=store)
    finally:
        store.close()


# --- contend ---------------------------------------------------------------------------------------------


def identity_body(i: int, rng: random.Random, *, email: bool, phone: bool) -> dict[str, str]:
    """A capture of identity `i` in randomly chosen written forms, with a random first name."""
    body = {"FirstName": rng.choice(FIRST_NAMES)}
    if email:
        body["EmailAddress"] = rng.choice(EMAIL_FORMS).format(i=i)
    if phone:
        body["Phone"] = rng.choice(PHONE_FORMS).format(i=i)
    return body


def contention_plan(worker: int, *, captures: int, identities: int, seed: int) -> list[tuple[int, dict[str, str]]]:
    """The (identity, body) captures of one worker.

    The first pass visits every identity once with both its email and its phone (all workers in one shared
    order, so they race to create the same leads); the rest pick a random identity and give its email, its
    phone or both. A worker only sends a single identifier after its own first pass has made every identity
    a lead holding both, so a serial run would create exactly one lead per identity.
    """
    order = list(range(identities))
    seeded(seed).shuffle(order)
    rng = seeded(f"{seed}-{worker}")
    plan = [(i, identity_body(i, rng, email=True, phone=True)) for i in order[:captures]]
    while len(plan) < captures:
        i = rng.randrange(identities)
        form = rng.choice(("email", "phone", "both"))
        plan.append((i, identity_body(i, rng, email=form != "phone", phone=form != "email")))
    return plan


def contend(url: str, worker: int, *, captures: int, identities: int, seed: int) -> dict[str, Any]:
    """Capture this worker's plan and report outcomes, errors and the lead each identity resolved to."""
    plan = contention_plan(worker, captures=captures, identities=identities, seed=seed)
    outcomes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    samples: list[str] = []
    leads: dict[int, list[str]] = {}
    with engine_at(url, migrate=False) as engine:
        print("ready", flush=True)
        sys.stdin.readline()
        for i, body in plan:
            match engine.capture(body):
                case Success(receipt):
                    outcomes[receipt.outcome.value] += 1
                    seen = leads.setdefault(i, [])
                    if receipt.lead_id not in seen:
                        seen.append(receipt.lead_id)
                case Failure(problem):
                    errors[problem.exception_type.value] += 1
                    if len(samples) < 10:
                        samples.append(f"{body!r}: {problem.status} {problem.exception_type} {problem.message}")
                case _:
                    raise AssertionError
    return {
        "worker": worker,
        "outcomes": dict(outcomes),
        "errors": dict(errors),
        "samples": samples,
        "touched": sorted({i for i, _ in plan}),
        "leads": {str(i): ids for i, ids in leads.items()},
    }


# --- crash -----------------------------------------------------------------------------------------------


def append_durably(log: IO[str], record: dict[str, Any]) -> None:
    """Append one JSON line to `log` and force it to disk before returning."""
    log.write(json.dumps(record) + "\n")
    log.flush()
    os.fsync(log.fileno())


def crash_body(rng: random.Random, run: int, number: int) -> dict[str, str]:
    """A new email (a create) or one of a shared pool (usually an update), sometimes with the pool's phone."""
    if rng.random() < 0.5:
        return {"EmailAddress": f"fresh-r{run}-n{number}@example.com", "FirstName": rng.choice(FIRST_NAMES)}
    i = rng.randrange(200)
    body = {"EmailAddress": rng.choice(EMAIL_FORMS).format(i=i), "FirstName": rng.choice(FIRST_NAMES)}
    if rng.random() < 0.5:
        body["Phone"] = rng.choice(PHONE_FORMS).format(i=i)
    return body


def ack_record(body: dict[str, str], receipt: CaptureReceipt) -> dict[str, Any]:
    """What the log keeps of an acknowledged capture."""
    return {
        "lead": receipt.lead_id,
        "activity": receipt.activity_id,
        "email": body["EmailAddress"].strip().lower(),
        "outcome": receipt.outcome.value,
    }


def fail_on(problem: Problem, body: dict[str, str]) -> None:
    """Stop the worker: captures in the crash workloads never fail."""
    print(f"capture failed: {body!r}: {problem.status} {problem.exception_type} {problem.message}", file=sys.stderr)
    raise SystemExit(3)


def crash_loop(url: str, log_path: str, *, run: int, seed: int) -> None:
    """Capture one request at a time forever, logging each acknowledged capture durably."""
    rng = seeded(f"{seed}-{run}")
    with engine_at(url, migrate=True) as engine, open(log_path, "a", buffering=1, encoding="utf-8") as log:
        number = 0
        while True:
            number += 1
            body = crash_body(rng, run, number)
            match engine.capture(body):
                case Success(receipt):
                    append_durably(log, ack_record(body, receipt))
                case Failure(problem):
                    fail_on(problem, body)
                case _:
                    raise AssertionError


CRASH_CHECKPOINTS = CheckpointSchedule(pass_seconds=0.005, restart_pages=20, overdue_pages=200)


def batch_tag(run: int, batch: int) -> str:
    """The Notes value every row of one batch carries, so its activities can be counted."""
    return f"batch-r{run:03d}-b{batch:06d}"


def crash_batches(url: str, log_path: str, *, run: int, seed: int) -> None:
    """Capture batches of 1-12 rows forever: log the intent, call capture_many, then log the acks.

    As the server writes groups: the log is checkpointed on a thread of the store's (adr/0061), here often
    enough that kills land during its copies and during the writes that start the log again.
    """
    rng = seeded(f"{seed}-{run}")
    with (
        engine_at(url, migrate=True, checkpoints=CRASH_CHECKPOINTS) as engine,
        open(log_path, "a", buffering=1, encoding="utf-8") as log,
    ):
        number = 0
        batch = 0
        while True:
            batch += 1
            tag = batch_tag(run, batch)
            rows = []
            for _ in range(rng.randint(1, 12)):
                number += 1
                rows.append({**crash_body(rng, run, number), "Notes": tag})
            append_durably(log, {"intent": tag, "rows": len(rows)})
            results = engine.capture_many(rows)
            acks = []
            for body, result in zip(rows, results, strict=True):
                match result:
                    case Success(receipt):
                        acks.append(ack_record(body, receipt))
                    case Failure(problem):
                        fail_on(problem, body)
                    case _:
                        raise AssertionError
            append_durably(log, {"acked": tag, "acks": acks})


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and run one worker."""
    parser = argparse.ArgumentParser(prog="python -m tests.integration.workers")
    commands = parser.add_subparsers(dest="command", required=True)
    contend_cmd = commands.add_parser("contend")
    contend_cmd.add_argument("url")
    contend_cmd.add_argument("--worker", type=int, required=True)
    contend_cmd.add_argument("--captures", type=int, required=True)
    contend_cmd.add_argument("--identities", type=int, required=True)
    contend_cmd.add_argument("--seed", type=int, required=True)
    for name in ("crash", "crash-batches"):
        crash_cmd = commands.add_parser(name)
        crash_cmd.add_argument("url")
        crash_cmd.add_argument("--log", required=True)
        crash_cmd.add_argument("--run", type=int, required=True)
        crash_cmd.add_argument("--seed", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "contend":
        report = contend(
            args.url,
            args.worker,
            captures=args.captures,
            identities=args.identities,
            seed=args.seed,
        )
        print(json.dumps(report), flush=True)
    elif args.command == "crash":
        crash_loop(args.url, args.log, run=args.run, seed=args.seed)
    else:
        crash_batches(args.url, args.log, run=args.run, seed=args.seed)


if __name__ == "__main__":
    main()
