"""The benchmark's floor route (`bench/floor_route.py`) writes what Lead.Capture writes, and is served as it is.

Its figure bounds what any capture route of the server reaches only if it does the same durable work: the
same rows in the same SQLite tables, committed before the answer, answered with Lead.Capture's body.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
from bench.floor import FloorCapture, _CountingIds, _TickingClock
from bench.floor_route import FLOOR_PATH, FloorWriter
from bench.http import Server, wrk_like_bodies

from leadcapture import Engine
from leadcapture.adapters.migrate import upgrade
from leadcapture.adapters.sql import ACTIVITY_COLUMNS, LEAD_COLUMNS
from leadcapture.adapters.sqlite import SQLiteLeadStore

_TABLES = (
    f"SELECT {LEAD_COLUMNS} FROM leads",
    f"SELECT {ACTIVITY_COLUMNS} FROM activities",
    "SELECT field, key, lead_id FROM lead_unique_values",
    "SELECT field, key, lead_id FROM lead_lookup_values",
)


def _tables(path: Path) -> list[list[tuple[object, ...]]]:
    with closing(sqlite3.connect(path)) as conn:
        return [sorted(conn.execute(query).fetchall()) for query in _TABLES]


async def _capture_in_order(writer: FloorWriter, bodies: list[bytes]) -> list[tuple[str, str, bool]]:
    return [await writer.capture(body) for body in bodies]


async def _capture_together(writer: FloorWriter, bodies: list[bytes]) -> list[tuple[str, str, bool]]:
    return list(await asyncio.gather(*(writer.capture(body) for body in bodies)))


def test_the_floor_route_writes_the_rows_the_sqlite_store_writes_for_the_same_captures(tmp_path: Path) -> None:
    bodies = wrk_like_bodies(400, seed=3)
    engine_path, floor_path = tmp_path / "engine.db", tmp_path / "floor.db"
    store = SQLiteLeadStore(engine_path)
    try:
        engine = Engine(store=store, clock=_TickingClock(), ids=_CountingIds())
        receipts = [engine.capture(body).unwrap() for body in bodies]
    finally:
        store.close()
    upgrade(f"sqlite:///{floor_path}")
    writer = FloorWriter(floor_path, FloorCapture(clock=_TickingClock(), ids=_CountingIds()))
    writer.start()
    try:
        answers = asyncio.run(_capture_in_order(writer, bodies))
    finally:
        writer.stop()
    assert answers == [(receipt.lead_id, receipt.activity_id, receipt.is_created) for receipt in receipts]
    assert _tables(floor_path) == _tables(engine_path)


def test_captures_arriving_together_are_all_committed_and_answered(tmp_path: Path) -> None:
    path = tmp_path / "floor.db"
    upgrade(f"sqlite:///{path}")
    bodies = wrk_like_bodies(300, seed=5)
    writer = FloorWriter(path)
    writer.start()
    try:
        answers = asyncio.run(_capture_together(writer, bodies))
    finally:
        writer.stop()
    leads, activities, unique, _ = _tables(path)
    assert len(activities) == len(bodies)
    assert sorted(row[0] for row in activities) == sorted(activity_id for _, activity_id, _ in answers)
    assert len(leads) == sum(1 for _, _, created in answers if created)
    assert {row[2] for row in unique} == {row[0] for row in leads}


def test_a_body_the_floor_cannot_take_is_answered_with_its_error_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "floor.db"
    upgrade(f"sqlite:///{path}")
    writer = FloorWriter(path)
    writer.start()
    bad = b'[{"Attribute":"EmailAddress","Value":5}]'
    try:
        outcomes = asyncio.run(_gather_outcomes(writer, [bad]))
        written = _tables(path)
        after = asyncio.run(_capture_in_order(writer, wrk_like_bodies(1, seed=5)))
    finally:
        writer.stop()
    assert len(outcomes) == 1
    assert isinstance(outcomes[0], TypeError)
    assert written == [[], [], [], []]
    assert [created for _, _, created in after] == [True]


async def _gather_outcomes(writer: FloorWriter, bodies: list[bytes]) -> list[object]:
    return list(await asyncio.gather(*(writer.capture(body) for body in bodies), return_exceptions=True))


def test_the_floor_route_is_served_beside_the_baseline_route_and_answers_as_lead_capture(tmp_path: Path) -> None:
    server = Server(tmp_path, floor_route=True)
    try:
        body = wrk_like_bodies(1, seed=1)[0]
        answer = httpx.post(f"{server.base_url}{FLOOR_PATH}", content=body, timeout=10)
        again = httpx.post(f"{server.base_url}{FLOOR_PATH}", content=body, timeout=10)
        baseline = httpx.post(f"{server.base_url}/bench/baseline", content=body, timeout=10)
    finally:
        server.stop()
    assert answer.status_code == 200
    assert baseline.status_code == 200
    first, second = answer.json(), again.json()
    assert first["Status"] == "Success"
    assert first["Message"]["IsCreated"] is True
    assert second["Message"]["IsCreated"] is False
    assert second["Message"]["Id"] == first["Message"]["Id"]
    leads, activities, _, _ = _tables(server.database)
    assert [row[0] for row in leads] == [first["Message"]["Id"]]
    assert {row[0] for row in activities} == {first["Message"]["RelatedId"], second["Message"]["RelatedId"]}
