"""A dry run over a SQLite file decides in an in-memory image, yet answers exactly as previewing row by row.

`Engine.dry_run` on the SQL stores keeps the leads its batches would make or change in memory and reads
later batches' candidates from there, writing to its doomed transaction only past `image_leads` leads
(adr/0058). These tests run the same calls through a dry run on a real SQLite file and on the in-memory
store, whose dry run applies each row to its transaction in turn (the row-by-row path), with the same clock
and id sequences, and compare every answer; rows come back to the same leads across batches, and the
file is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Result
from tests.support.agreement import empty_sql_stores
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import Engine, InMemoryLeadStore, Outcome
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.policies import CapturePolicy, CreateOrUpdatePolicy, CreatePolicy, MatchPolicy
from leadcapture.ports import LeadStore
from leadcapture.service import DRY_RUN_IMAGE_LEADS

PEOPLE = 6
person = st.integers(0, PEOPLE - 1)


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    """A row about one of a few people: by email (any case), by phone (any form), or both, with changes."""
    body: dict[str, Any] = {}
    if draw(st.booleans()):
        email = f"person{draw(person)}@example.com"
        body["EmailAddress"] = draw(st.sampled_from([email, email.upper(), "not-an-email"]))
    if draw(st.booleans()):
        number = draw(person)
        body["Phone"] = draw(st.sampled_from([f"90000{number:05d}", f"+91 90000 {number:05d}", ""]))
    body["FirstName"] = draw(st.sampled_from(["Asha", "Ben", ""]))
    if draw(st.booleans()):
        body["City"] = draw(st.sampled_from(["Pune", "Delhi", ""]))
    if draw(st.integers(0, 4)) == 0:
        body["SearchBy"] = draw(st.sampled_from(["EmailAddress", "Phone"]))
    return body


policies = st.sampled_from([CapturePolicy(), CreatePolicy(), CreateOrUpdatePolicy()])
calls = st.lists(
    st.one_of(
        st.tuples(st.just("preview_many"), st.lists(rows(), min_size=1, max_size=6), st.none()),
        st.tuples(st.just("capture"), rows().map(lambda row: [row]), policies),
    ),
    min_size=1,
    max_size=8,
)


def _engine(store: LeadStore) -> Engine:
    return Engine(store=store, clock=SteppingClock(), ids=CountingIds())


def _dry_run(
    engine: Engine,
    seed: list[dict[str, Any]],
    script: list[tuple[str, list[dict[str, Any]], MatchPolicy | None]],
    image_leads: int,
) -> list[Result[Any, Any]]:
    """Capture `seed` for real, then run the script's calls in one dry run: every answer, in order."""
    engine.capture_many(seed)
    answers: list[Result[Any, Any]] = []
    with engine.dry_run(image_leads=image_leads) as run:
        for call, bodies, policy in script:
            if call == "preview_many":
                answers.extend(run.preview_many(bodies))
            else:
                assert policy is not None
                answers.append(run.capture(bodies[0], policy=policy))
    return answers


@pytest.fixture
def sqlite_store(sqlite_path: Path) -> Iterator[SQLiteLeadStore]:
    """A SQLite file, emptied by each example that uses it."""
    store = SQLiteLeadStore(sqlite_path, synchronous="NORMAL")
    yield store
    store.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.lists(rows(), max_size=6),
    script=calls,
    image_leads=st.sampled_from([1, 2, 3, DRY_RUN_IMAGE_LEADS]),
)
def test_D3_a_dry_run_on_sqlite_answers_as_row_by_row_across_batches(
    sqlite_store: SQLiteLeadStore,
    seed: list[dict[str, Any]],
    script: list[tuple[str, list[dict[str, Any]], MatchPolicy | None]],
    image_leads: int,
) -> None:
    """Batches and single captures of a dry run see every call before them, as the row-by-row path does."""
    empty_sql_stores(sqlite_store)
    reference = InMemoryLeadStore()
    expected = _dry_run(_engine(reference), seed, script, DRY_RUN_IMAGE_LEADS)
    assert _dry_run(_engine(sqlite_store), seed, script, image_leads) == expected
    assert sqlite_store.leads() == reference.leads()


@pytest.mark.parametrize("image_leads", [700, DRY_RUN_IMAGE_LEADS], ids=["written past 700 leads", "in memory"])
def test_D3_a_file_previewed_in_batches_on_sqlite_matches_row_by_row(sqlite_path: Path, image_leads: int) -> None:
    """3,000 rows in batches of 1,000, a third of them coming back to a lead an earlier batch made or changed."""
    bodies: list[dict[str, Any]] = []
    for n in range(3_000):
        if n % 3 == 2:
            earlier = 3 * ((n * 7) % (n // 3)) if n >= 3 else 0  # a row that made a lead (n % 3 == 0)
            bodies.append({"EmailAddress": f"P{earlier}@EXAMPLE.COM", "City": f"City {n}"})
        else:
            bodies.append({"EmailAddress": f"p{n}@example.com", "Phone": f"9{n:09d}", "FirstName": f"F{n}"})
    reference = _engine(InMemoryLeadStore())
    with reference.dry_run() as run:
        expected = [answer for body in bodies for answer in run.preview_many([body])]
    store = SQLiteLeadStore(sqlite_path)
    try:
        engine = _engine(store)
        with engine.dry_run(image_leads=image_leads) as run:
            answers = [
                answer for start in range(0, 3_000, 1_000) for answer in run.preview_many(bodies[start : start + 1_000])
            ]
        assert answers == expected
        updated = [answer for answer in answers if answer.unwrap().explanation.outcome is Outcome.UPDATED]
        assert len(updated) == 1_000
        assert store.leads() == ()
    finally:
        store.close()
