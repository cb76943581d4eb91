"""The lead-management calls (R-L1..R-L4), mixed with captures, agree with the in-memory reference on every store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule
from tests.integration.test_store_agreement import StoresAgree, capture_bodies
from tests.support.agreement import assert_stores_agree

from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.policies import ConvertPolicy, CreateOrUpdatePolicy, CreatePolicy, MatchPolicy, UpdateByIdPolicy

UNKNOWN_ID = "eeeeeeee-0000-4000-8000-000000000001"


class LeadManagementAgrees(StoresAgree):
    """Captures, visits and accounts as in `StoresAgree`, and the four lead-management calls among them."""

    def _manage(self, body: dict[str, Any], policy: MatchPolicy) -> None:
        body.pop("ProspectId", None)
        answers = self._all(lambda engine: engine.capture(body, policy=policy))
        receipt = answers[0].value_or(None)
        if receipt is not None:
            assert receipt.activity_id is None
            if receipt.lead_id not in self.lead_ids:
                self.lead_ids.append(receipt.lead_id)

    @rule(body=capture_bodies())
    def create(self, body: dict[str, Any]) -> None:
        """Lead.Create answers the same everywhere (R-L1)."""
        body.pop("SearchBy", None)
        self._manage(body, CreatePolicy())

    @rule(data=st.data(), body=capture_bodies())
    def update(self, data: st.DataObject, body: dict[str, Any]) -> None:
        """Lead.Update of a known or unknown id answers the same everywhere (R-L2)."""
        body.pop("SearchBy", None)
        lead_id = data.draw(st.sampled_from([*self.lead_ids, UNKNOWN_ID]))
        self._manage(body, UpdateByIdPolicy(lead_id=lead_id))

    @rule(body=capture_bodies())
    def create_or_update(self, body: dict[str, Any]) -> None:
        """Lead.CreateOrUpdate answers the same everywhere (R-L3)."""
        self._manage(body, CreateOrUpdatePolicy())

    @precondition(lambda self: self.visitor_ids)
    @rule(data=st.data(), body=capture_bodies())
    def convert(self, data: st.DataObject, body: dict[str, Any]) -> None:
        """Lead.Convert of a visitor, converted or not, answers the same everywhere (R-L4)."""
        body.pop("SearchBy", None)
        self._manage(body, ConvertPolicy(visitor_id=data.draw(st.sampled_from(self.visitor_ids))))

    @invariant()
    def every_lead_value_and_activity_agrees(self) -> None:
        """Leads, values, activities and visitors are identical; managed leads may have no activity."""
        assert_stores_agree(self.stores, self.visitor_ids, every_lead_has_an_activity=False)


@pytest.fixture
def agreement(sqlite_path: Path, postgres_url: str) -> Any:
    """The machine wired to one SQLite file and one PostgreSQL database, emptied before every run."""
    sqlite_store = SQLiteLeadStore(sqlite_path, synchronous="NORMAL")
    postgres_store = PostgresLeadStore(postgres_url)
    LeadManagementAgrees.sqlite_store = sqlite_store
    LeadManagementAgrees.postgres_store = postgres_store
    yield LeadManagementAgrees
    sqlite_store.close()
    postgres_store.close()


def test_L1_to_L4_every_store_agrees_with_the_in_memory_reference(agreement: type[LeadManagementAgrees]) -> None:
    """Random sequences of captures and lead-management calls leave SQLite and PostgreSQL equal to memory."""
    run = agreement.TestCase
    run.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    run().runTest()
