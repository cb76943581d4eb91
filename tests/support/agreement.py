"""What the store agreement machines share: emptying the SQL stores and comparing every store to the reference."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.adapters.sqlite import SQLiteLeadStore

TABLES = ("activities", "lead_unique_values", "lead_lookup_values", "leads", "visits", "visitors", "accounts")


def empty_sql_stores(*stores: SQLiteLeadStore | PostgresLeadStore) -> None:
    """Delete every row, children first, so that one database serves many Hypothesis runs."""
    for store in stores:
        with store.transaction() as tx:
            for table in TABLES:
                tx._cur.execute(f"DELETE FROM {table}")


def assert_stores_agree(
    stores: Sequence[Any], visitor_ids: Iterable[str] = (), *, every_lead_has_an_activity: bool = True
) -> None:
    """Leads, their unique and lookup values, their activities and the visitors equal the first store's.

    Leads made by Lead.Capture all have an activity (R-A1); the lead-management calls post none (R-L1..R-L4).
    """
    reference, *others = stores
    leads = reference.leads()
    for store in others:
        assert store.leads() == leads
    for lead in leads:
        entries = sorted(reference.index_entries(lead.id), key=lambda e: (not e.unique, e.field, e.key))
        activities = reference.activities(lead.id)
        assert activities or not every_lead_has_an_activity, "every captured lead has an activity (R-A1)"
        for store in others:
            assert list(store.index_entries(lead.id)) == entries
            assert store.activities(lead.id) == activities
    for visitor_id in visitor_ids:
        visitor = reference.visitor(visitor_id)
        for store in others:
            assert store.visitor(visitor_id) == visitor
