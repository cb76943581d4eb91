"""Every store agrees with the in-memory reference with every data-quality rule on (R-J3).

The machine of `test_store_agreement.py`, over a schema with the `common` blocked preset, canonical Gmail
matching and `never` / `if_empty` update policies, and captures drawn from pools of junk values, Gmail
spellings and ordinary identifiers: the SQLite and PostgreSQL stores must hold exactly the reference's
leads, unique and lookup entries and activities after every step, captured one by one or in batches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from tests.property.test_data_quality_properties import QUALITY, bodies
from tests.support.agreement import assert_stores_agree, empty_sql_stores
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import Engine, InMemoryLeadStore, UpdateBehavior
from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.adapters.sqlite import SQLiteLeadStore

behaviors = st.sampled_from([None, *UpdateBehavior])


class QualityStoresAgree(RuleBasedStateMachine):
    """Drive every store with the same captures under the data-quality schema and compare them all."""

    sqlite_store: SQLiteLeadStore
    postgres_store: PostgresLeadStore

    def __init__(self) -> None:
        """Empty stores, each behind an engine with the data-quality schema and the same clock and ids."""
        super().__init__()
        empty_sql_stores(self.sqlite_store, self.postgres_store)
        self.stores: list[Any] = [InMemoryLeadStore(), self.sqlite_store, self.postgres_store]
        self.engines = [
            Engine(store=store, schema=QUALITY, clock=SteppingClock(), ids=CountingIds()) for store in self.stores
        ]
        self.lead_ids: list[str] = []

    def _all(self, call: Any) -> Any:
        answers = [call(engine) for engine in self.engines]
        for other in answers[1:]:
            assert other == answers[0]
        return answers[0]

    def _remember(self, results: list[Any]) -> None:
        for result in results:
            receipt = result.value_or(None)
            if receipt is not None and receipt.lead_id not in self.lead_ids:
                self.lead_ids.append(receipt.lead_id)

    @rule(body=bodies(), behavior=behaviors)
    def capture(self, body: dict[str, Any], behavior: UpdateBehavior | None) -> None:
        """A capture answers the same everywhere."""
        self._remember([self._all(lambda engine: engine.capture(body, behavior))])

    @precondition(lambda self: self.lead_ids)
    @rule(data=st.data(), body=bodies(), behavior=behaviors)
    def capture_by_prospect_id(
        self, data: st.DataObject, body: dict[str, Any], behavior: UpdateBehavior | None
    ) -> None:
        """A capture naming an existing lead answers the same everywhere (R-M4, R-M5 with blocked emails)."""
        body["ProspectId"] = data.draw(st.sampled_from(self.lead_ids))
        self.capture(body, behavior)

    @rule(rows=st.lists(bodies(), min_size=1, max_size=5), behavior=behaviors)
    def capture_many(self, rows: list[dict[str, Any]], behavior: UpdateBehavior | None) -> None:
        """A batch answers the same everywhere, row by row (the SQL stores decide it in memory)."""
        self._remember(self._all(lambda engine: engine.capture_many(rows, behavior)))

    @invariant()
    def every_lead_value_and_activity_agrees(self) -> None:
        """Leads, their unique and lookup values, and their activities are identical in every store."""
        assert_stores_agree(self.stores)


@pytest.fixture
def agreement(sqlite_path: Path, postgres_url: str) -> Any:
    """The machine wired to one SQLite file and one PostgreSQL database, emptied before every run."""
    sqlite_store = SQLiteLeadStore(sqlite_path, synchronous="NORMAL")
    postgres_store = PostgresLeadStore(postgres_url)
    QualityStoresAgree.sqlite_store = sqlite_store
    QualityStoresAgree.postgres_store = postgres_store
    yield QualityStoresAgree
    sqlite_store.close()
    postgres_store.close()


def test_J3_every_store_agrees_with_the_reference_under_the_data_quality_rules(
    agreement: type[QualityStoresAgree],
) -> None:
    """Random capture sequences with junk, Gmail and policy fields leave every store identical to the reference."""
    run = agreement.TestCase
    run.settings = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    run().runTest()
