"""Every store agrees with the reference `InMemoryLeadStore` on the same random sequence of captures.

One Hypothesis state machine drives an in-memory, a SQLite and a PostgreSQL store through identical
engines (same clock and id sequences) and, after every step, compares every lead, every unique and lookup
value, and every activity (R-M10's store guarantees, R-U, R-A1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from tests.support.agreement import assert_stores_agree, empty_sql_stores
from tests.support.determinism import START, CountingIds, SteppingClock

from leadcapture import Account, Engine, InMemoryLeadStore, UpdateBehavior, Visit, Visitor
from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.adapters.sqlite import SQLiteLeadStore

IDENTITIES = 6
behaviors = st.sampled_from([None, *UpdateBehavior])
identity = st.integers(0, IDENTITIES - 1)
phone_forms = st.sampled_from(["90000{:05d}", "+91 90000 {:05d}", "+91-90000{:05d}", "090000{:05d}"])


def _emails(i: int, casing: bool) -> str:
    email = f"person{i}@example.com"
    return email.upper() if casing else email


@st.composite
def capture_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A capture over a small pool of identities, so matches, updates and clashes are frequent."""
    body: dict[str, Any] = {}
    if draw(st.booleans()):
        body["EmailAddress"] = _emails(draw(identity), draw(st.booleans()))
    if draw(st.booleans()):
        body["Phone"] = draw(phone_forms).format(draw(identity))
    if draw(st.booleans()):
        body["Mobile"] = f"80000{draw(identity):05d}"
    body["FirstName"] = draw(st.sampled_from(["Asha", "Ben", "", None, "Chen"]))
    if draw(st.booleans()):
        body["Source"] = draw(st.sampled_from(["Google", "Facebook", ""]))
    if draw(st.booleans()):
        body["SearchBy"] = draw(st.sampled_from(["EmailAddress", "Phone", "Mobile"]))
    return body


class StoresAgree(RuleBasedStateMachine):
    """Drive every store with the same captures and compare them all after each step."""

    sqlite_path: Path
    postgres_url: str
    sqlite_store: SQLiteLeadStore
    postgres_store: PostgresLeadStore

    def __init__(self) -> None:
        """Empty stores, each behind an engine with the same clock and id sequences."""
        super().__init__()
        empty_sql_stores(self.sqlite_store, self.postgres_store)
        self.stores: list[Any] = [InMemoryLeadStore(), self.sqlite_store, self.postgres_store]
        self.engines = [Engine(store=s, clock=SteppingClock(), ids=CountingIds()) for s in self.stores]
        self.lead_ids: list[str] = []
        self.visitor_ids: list[str] = []
        self.visitor_numbers = iter(range(1, 10_000))

    def _all(self, call: Any) -> list[Any]:
        answers = [call(engine) for engine in self.engines]
        first = answers[0]
        for other in answers[1:]:
            assert other == first
        return answers

    @rule(body=capture_bodies(), behavior=behaviors)
    def capture(self, body: dict[str, Any], behavior: UpdateBehavior | None) -> None:
        """A capture answers the same everywhere."""
        answers = self._all(lambda engine: engine.capture(body, behavior))
        receipt = answers[0].value_or(None)
        if receipt is not None and receipt.lead_id not in self.lead_ids:
            self.lead_ids.append(receipt.lead_id)

    @precondition(lambda self: self.lead_ids or self.visitor_ids)
    @rule(data=st.data(), body=capture_bodies(), behavior=behaviors)
    def capture_by_prospect_id(
        self,
        data: st.DataObject,
        body: dict[str, Any],
        behavior: UpdateBehavior | None,
    ) -> None:
        """A capture naming an existing lead or visitor answers the same everywhere (R-M4..R-M6)."""
        body["ProspectId"] = data.draw(st.sampled_from(self.lead_ids + self.visitor_ids))
        self.capture(body, behavior)

    @rule(bodies=st.lists(capture_bodies(), min_size=1, max_size=5), behavior=behaviors)
    def capture_many(self, bodies: list[dict[str, Any]], behavior: UpdateBehavior | None) -> None:
        """A batch answers the same everywhere, row by row."""
        answers = self._all(lambda engine: engine.capture_many(bodies, behavior))
        for result in answers[0]:
            receipt = result.value_or(None)
            if receipt is not None and receipt.lead_id not in self.lead_ids:
                self.lead_ids.append(receipt.lead_id)

    @rule(source=st.sampled_from(["Google", "Newsletter", ""]))
    def new_visitor(self, source: str) -> None:
        """An anonymous visitor with one visit appears in every store."""
        number = next(self.visitor_numbers)
        visitor_id = f"aaaaaaaa-0000-4000-8000-{number:012x}"
        visit = Visit(
            id=f"bbbbbbbb-0000-4000-8000-{number:012x}",
            visited_on=START,
            page_url=f"https://example.com/?utm_source={source}",
            source={"Source": source} if source else {},
        )
        for store in self.stores:
            store.save_visitor(Visitor(id=visitor_id, visits=(visit,)))
        self.visitor_ids.append(visitor_id)

    @rule(data=st.data())
    def capture_with_account(self, data: st.DataObject) -> None:
        """Linking a lead to an account, known or unknown, answers the same everywhere (R-A3)."""
        account_id = "cccccccc-0000-4000-8000-000000000001"
        if data.draw(st.booleans()):
            for store in self.stores:
                store.add_account(Account(id=account_id, name="Acme", created_on=START))
        body = data.draw(capture_bodies())
        body["RelatedCompanyId"] = account_id
        self.capture(body, None)

    @invariant()
    def every_lead_value_and_activity_agrees(self) -> None:
        """Leads, their unique and lookup values, and their activities are identical in every store."""
        assert_stores_agree(self.stores, self.visitor_ids)


@pytest.fixture
def agreement(sqlite_path: Path, postgres_url: str) -> Any:
    """The machine wired to one SQLite file and one PostgreSQL database, emptied before every run."""
    sqlite_store = SQLiteLeadStore(sqlite_path, synchronous="NORMAL")
    postgres_store = PostgresLeadStore(postgres_url)
    StoresAgree.sqlite_store = sqlite_store
    StoresAgree.postgres_store = postgres_store
    yield StoresAgree
    sqlite_store.close()
    postgres_store.close()


def test_M10_every_store_agrees_with_the_in_memory_reference(agreement: type[StoresAgree]) -> None:
    """Random capture sequences leave the SQLite and PostgreSQL stores identical to the in-memory one."""
    run = agreement.TestCase
    run.settings = settings(
        max_examples=30,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    run().runTest()
