"""The benchmark's floor (`bench/floor.py`) stores what the engine stores, or it would not measure the same work."""

from __future__ import annotations

import random  # noqa: TID251 - the store benchmark draws its rows from a seeded generator

import pytest
from bench.floor import FloorCapture, FloorDisagreesError, check_agreement
from bench.stores import stream
from bench.workload import make_workload

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
