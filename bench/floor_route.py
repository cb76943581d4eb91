"""The floor route: the least a durable Lead.Capture route adds to the baseline route, in the same server.

    python -m bench.floor_route --database sqlite:///PATH --port N

serves what `leadcapture serve --baseline-route` serves (the same app, uvicorn settings, logging and
metrics), plus `POST /bench/floor`. That route stores a capture body as the floor does
(`bench.floor.FloorCapture`: the same leads and activities as `Engine.capture`, with no rule, explanation
or rollback, holding every lead in memory so that it never reads the database) and makes it durable as
group commit does: one writer thread takes what arrived together, writes the floor's SQL rows of the
group (`lead_row`, `activity_row`: each lead touched, the unique values of each new one, each activity)
with plain sqlite3 in one `synchronous=FULL` transaction, then answers every request of the group with
the success body `Lead.Capture` answers. It checks no key and counts no rate limit.

So it adds to the baseline route's work only what a durable capture cannot leave out: the floor, its
rows, the database's write and fsync, and the hand-off to a thread that may wait for the disk while the
event loop goes on (the loop must not wait on the disk or on another process's write lock). `python -m
bench.http` loads it with wrk as it loads `Lead.Capture`: what it reaches is the most any capture route
of this server reaches, whatever the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import msgspec
from litestar import Litestar, MediaType, Request, Response, post

from bench.floor import FloorCapture
from bench.raw_sqlite import INSERT_ACTIVITY, INSERT_UNIQUE, connect
from leadcapture.adapters.migrate import upgrade
from leadcapture.adapters.sql import LEAD_COLUMNS, activity_row, lead_row
from leadcapture.adapters.sqlite_checkpoints import BackgroundCheckpoints, CheckpointSchedule
from leadcapture.core.names import EMAIL, PHONE
from leadcapture.entrypoints.group_commit import MAX_GROUP, let_loop_catch_up, take_group
from leadcapture.entrypoints.serve import SETTINGS_ENV, ServeSettings, app_from_environment, run_server
from leadcapture.entrypoints.web import encode_json
from leadcapture.wire.leadsquared import CaptureMessage, SuccessEnvelope

FLOOR_PATH: Final = "/bench/floor"
FACTORY: Final = "bench.floor_route:floor_app"
UPSERT_LEAD: Final = (
    f"INSERT INTO leads ({LEAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"  # noqa: S608 - constant columns
    " fields = excluded.fields, modified_on = excluded.modified_on,"
    " last_activity_on = excluded.last_activity_on, version = excluded.version"
)

Answer = tuple[str, str, bool]
"""A stored capture: the lead's id, its activity's id, and whether the lead is new."""


@dataclass(eq=False)
class _Pending:
    body: bytes
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[Answer] = field(init=False)

    def __post_init__(self) -> None:
        self.answer = self.loop.create_future()


class FloorWriter:
    """One thread storing captures with the floor and committing each group's rows with plain sqlite3."""

    def __init__(self, path: Path, floor: FloorCapture | None = None) -> None:
        """Write into the (migrated) SQLite database at `path`, its log checkpointed by a thread (adr/0061).

        `floor` holds the leads (a new `FloorCapture` by default, with the engine's clock and ids).
        """
        self._path = path
        self._floor = floor if floor is not None else FloorCapture()
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="floor-writer", daemon=True)
        self._checkpoints: BackgroundCheckpoints | None = None

    def start(self) -> None:
        """Start the writer thread and the checkpoints."""
        self._checkpoints = BackgroundCheckpoints(self._path, CheckpointSchedule())
        self._thread.start()

    def stop(self) -> None:
        """Write what is queued, then stop."""
        self._queue.put(None)
        self._thread.join()
        if self._checkpoints is not None:
            self._checkpoints.close()

    async def capture(self, body: bytes) -> Answer:
        """Store `body` in the next group; answers once the group has committed."""
        pending = _Pending(body, asyncio.get_running_loop())
        self._queue.put(pending)
        return await pending.answer

    def _run(self) -> None:
        # The connection is the writer thread's own: sqlite3 objects stay in the thread that made them.
        conn = connect(self._path, "FULL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        try:
            self._write_groups(conn)
        finally:
            conn.close()

    def _write_groups(self, conn: sqlite3.Connection) -> None:
        while (first := self._queue.get()) is not None:
            let_loop_catch_up(first.loop)
            taken, stopping = take_group(self._queue, first, MAX_GROUP, None)
            self._commit(conn, [item for item in taken if item is not None])
            if stopping:
                return

    def _commit(self, conn: sqlite3.Connection, group: list[_Pending]) -> None:
        floor = self._floor
        answers: list[tuple[asyncio.Future[Answer], Answer]] = []
        touched: dict[str, None] = {}
        unique_rows, activity_rows = [], []
        try:
            for pending in group:
                known = len(floor.leads)
                lead_id = floor.capture(pending.body)
                created = len(floor.leads) > known
                activity = floor.activities[lead_id][-1]
                touched[lead_id] = None
                activity_rows.append(activity_row(activity))
                if created:
                    fields = floor.leads[lead_id].fields
                    email, phone = fields.get(EMAIL), fields.get(PHONE)
                    if email:
                        unique_rows.append((EMAIL, email.lower(), lead_id))
                    if phone:
                        unique_rows.append((PHONE, phone.replace("-", ""), lead_id))
                answers.append((pending.answer, (lead_id, activity.id, created)))
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            cur.executemany(UPSERT_LEAD, [lead_row(floor.leads[lead_id]) for lead_id in touched])
            cur.executemany(INSERT_UNIQUE, unique_rows)
            cur.executemany(INSERT_ACTIVITY, activity_rows)
            cur.execute("COMMIT")
        except Exception as exc:  # every request of the group is answered with the error
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for pending in group:
                pending.loop.call_soon_threadsafe(_fail, pending.answer, exc)
            return
        group[0].loop.call_soon_threadsafe(_settle_all, answers)


def _settle_all(answers: list[tuple[asyncio.Future[Answer], Answer]]) -> None:
    for future, answer in answers:
        if not future.done():
            future.set_result(answer)


def _fail(future: asyncio.Future[Answer], exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)


@post(FLOOR_PATH, status_code=200, include_in_schema=False)
async def floor_capture(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Store the body with the floor, durably, and answer what Lead.Capture answers."""
    writer: FloorWriter = request.app.state.floor_writer
    lead_id, activity_id, created = await writer.capture(await request.body())
    message = CaptureMessage(id=lead_id, related_id=activity_id, is_created=created)
    return Response(encode_json(SuccessEnvelope(status="Success", message=message)), media_type=MediaType.JSON)


def floor_app() -> Litestar:
    """uvicorn's app factory: the served app with the floor route and its writer added."""
    app = app_from_environment()
    settings = msgspec.json.decode(os.environ[SETTINGS_ENV], type=ServeSettings)
    writer = FloorWriter(Path(settings.database.removeprefix("sqlite:///")))
    app.state.floor_writer = writer
    app.register(floor_capture)
    app.on_startup.append(writer.start)
    app.on_shutdown.append(writer.stop)
    return app


def main(argv: list[str] | None = None) -> int:
    """Set up the database and a first key as `leadcapture serve` does, print the key, serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.floor_route", description=__doc__)
    parser.add_argument("--database", required=True, help="sqlite:///PATH")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate-limit", default="100000000/1s")
    options = parser.parse_args(argv)
    if not options.database.startswith("sqlite:///"):
        parser.error("the floor route writes with plain sqlite3: give a sqlite:/// database")
    upgrade(options.database)
    print_first_key(options.database)
    settings = ServeSettings(database=options.database, rate_limit=options.rate_limit, baseline_route=True)
    run_server(settings, host="127.0.0.1", port=options.port, workers=1, factory=FACTORY)
    return 0


def print_first_key(database: str) -> None:
    """Issue a key as `leadcapture serve` does on a new database, and print it in the same words."""
    from datetime import UTC, datetime

    from leadcapture.adapters.keystore import SQLKeyStore
    from leadcapture.keys import issue_key

    stored, issued = issue_key("first key", now=datetime.now(UTC))
    keys = SQLKeyStore(database)
    try:
        keys.add_key(stored)
    finally:
        keys.close()
    print(f"  AccessKey: {issued.access_key}\n  SecretKey: {issued.secret_key}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
