"""The benchmark's floor (`bench/floor.py`) stores what the engine stores, or it would not measure the same work."""

from __future__ import annotations

import random  # noqa: TID251 - the store benchmark draws its rows from a seeded generator
from pathlib import Path

import pytest
from bench.floor import FloorCapture, FloorDisagreesError, check_agreement, check_row_agreement, sql_rows
from bench.stores import stream
from bench.workload import make_workload

from leadcapture import Engine
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.names import EmailMatch
from leadcapture.core.schema import DEFAULT_SCHEMA, Schema


def test_the_floor_stores_the_engines_leads_and_activities_for_the_engine_benchmark_bodies() -> None:
    workload = make_workload(seed=7, existing=300, captures=1_500)
    bodies = [*workload.seed_bodies, *workload.bodies]
    leads = check_agreement(bodies)
    # The mix is 40% new leads; the rest update leads the seed bodies made.
    assert 300 + 500 <= leads < len(bodies)


def test_the_floor_stores_the_engines_leads_for_the_store_benchmark_rows() -> None:
    rows = stream(0, 2_000, repeats=0.2, earlier=range(0), rng=random.Random(5))  # noqa: S311 - a fixed seed, not a secret
    leads = check_agreement(rows)
    assert 1_400 <= leads < 2_000


def test_a_rule_the_floor_does_not_apply_is_caught_as_a_disagreement() -> None:
    """Under canonical email matching (R-J2) the engine finds a Gmail mailbox spelt otherwise; the floor cannot."""
    canonical = Schema(DEFAULT_SCHEMA.fields, email_match=EmailMatch.CANONICAL)
    bodies = [
        {"EmailAddress": "ann.lee@gmail.com", "FirstName": "Ann"},
        {"EmailAddress": "annlee@gmail.com", "FirstName": "Ann"},
    ]
    with pytest.raises(FloorDisagreesError, match="the engine stored lead"):
        check_agreement(bodies, schema=canonical)


def test_the_floor_refuses_what_it_does_not_store_as_the_engine_would() -> None:
    floor = FloorCapture()
    floor.capture({"EmailAddress": "ann@example.com", "City": "Pune"})
    with pytest.raises(ValueError, match="does not clear"):
        floor.capture({"EmailAddress": "ann@example.com", "City": ""})
    with pytest.raises(ValueError, match="EmailAddress"):
        floor.capture({"EmailAddress": "not an address"})


def test_the_floors_sql_rows_are_the_rows_the_sqlite_store_writes_for_the_same_bodies(tmp_path: Path) -> None:
    rows = stream(0, 1_500, repeats=0.2, earlier=range(0), rng=random.Random(9))  # noqa: S311 - a fixed seed, not a secret
    leads = check_row_agreement(rows, tmp_path / "rows.db")
    assert 1_050 <= leads < 1_500


def test_the_floors_sql_rows_hold_one_row_per_lead_and_one_per_activity() -> None:
    floor = FloorCapture()
    floor.capture({"EmailAddress": "ann@example.com", "City": "Pune"})
    floor.capture({"EmailAddress": "ann@example.com", "City": "Mumbai"})
    floor.capture({"Phone": "9876543210", "FirstName": "Ravi"})
    lead_rows, activity_rows = sql_rows(floor)
    assert len(lead_rows) == 2
    assert len(activity_rows) == 3
    ann = next(row for row in lead_rows if "ann@example.com" in row[1])
    assert '"City":"Mumbai"' in ann[1]
    assert ann[6] == 2  # the latest version: a store writes the lead's final state once per batch


def test_a_row_the_floor_did_not_make_is_caught_as_a_disagreement(tmp_path: Path) -> None:
    path = tmp_path / "rows.db"
    store = SQLiteLeadStore(path)
    Engine(store=store).capture({"EmailAddress": "someone.else@example.com"}).unwrap()
    store.close()
    with pytest.raises(FloorDisagreesError, match="leads: the store holds"):
        check_row_agreement([{"EmailAddress": "ann@example.com"}], path)
