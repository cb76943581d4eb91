"""What the SQL stores share above the connection: the `LeadStore` reads and one-off writes.

Each store says how it opens a write transaction (`transaction`) and a read (`_reading`); every method
here runs one of those around the matching `SQLTransaction` call.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime

import msgspec
from returns.result import Result

from leadcapture.adapters.sql import SQLTransaction
from leadcapture.core.activities import ActivityType
from leadcapture.core.decision import CaptureDecision
from leadcapture.core.match import CandidateQuery, Candidates
from leadcapture.core.records import Account, Activity, IndexEntry, Lead, Visitor
from leadcapture.core.search import ModifiedWindow, QuickSearch
from leadcapture.ports import StoreConflict


class ConnectionUsage(msgspec.Struct, frozen=True, kw_only=True):
    """How a store's database connections are used right now (None: the store does not know)."""

    open: int
    """Connections open to the database."""
    in_use: int | None = None
    """Connections lent out to a transaction or a read (and any still being opened)."""
    max_open: int | None = None
    """The most connections the store opens."""
    waiting: int | None = None
    """Callers waiting for a connection because all were in use."""


class SQLStoreBase(ABC):
    """The `LeadStore` methods of a SQL store, given its transactions and reads."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[SQLTransaction]:
        """A write transaction: commits when the block ends, rolls back on an exception."""

    @abstractmethod
    def connection_usage(self) -> ConnectionUsage:
        """How the store's database connections are used right now (the server's metrics read it)."""

    @abstractmethod
    def _reading(self) -> AbstractContextManager[SQLTransaction]:
        """A connection to read through, outside any write transaction."""

    def find_candidates(self, query: CandidateQuery) -> Candidates:
        """Everything a decision may read for one request (a dry run reads this way)."""
        with self._reading() as tx:
            return tx.find_candidates(query)

    def apply(self, decision: CaptureDecision) -> Result[None, StoreConflict]:
        """Write one decision in its own transaction."""
        with self.transaction() as tx:
            return tx.apply(decision)

    def get_lead(self, lead_id: str) -> Lead | None:
        """The lead with this id."""
        with self._reading() as tx:
            return tx.get_lead(lead_id.lower())

    def leads(self) -> tuple[Lead, ...]:
        """Every lead, in creation order."""
        with self._reading() as tx:
            return tx.all_leads()

    def index_entries(self, lead_id: str) -> tuple[IndexEntry, ...]:
        """The (field, key) entries indexed for a lead."""
        with self._reading() as tx:
            return tx.index_entries(lead_id)

    def find_leads(self, field: str, key: str) -> tuple[Lead, ...]:
        """Leads whose indexed `field` has match key `key`."""
        with self._reading() as tx:
            return tx.find_leads(field, key)

    def quick_search(self, search: QuickSearch, limit: int) -> tuple[Lead, ...]:
        """Up to `limit` leads answering `search` (R-L5), the most recently modified first."""
        with self._reading() as tx:
            return tx.quick_search(search, limit)

    def leads_by_ids(self, lead_ids: Sequence[str]) -> tuple[Lead, ...]:
        """The leads with these ids, in the order asked, each once; ids of no lead are left out."""
        with self._reading() as tx:
            return tx.leads_by_ids(lead_ids)

    def modified_leads(self, window: ModifiedWindow) -> tuple[int, tuple[Lead, ...]]:
        """How many leads were modified within `window`'s range, and its page of them (R-L6)."""
        with self._reading() as tx:
            return tx.modified_leads(window)

    def activities(self, lead_id: str) -> tuple[Activity, ...]:
        """A lead's activities, newest first."""
        with self._reading() as tx:
            return tx.activities(lead_id.lower())

    def save_visitor(self, visitor: Visitor) -> bool:
        """Add an anonymous visitor, or merge it into the stored one; True if it is converted (adr/0028)."""
        with self.transaction() as tx:
            return tx.save_visitor(visitor)

    def visitor(self, visitor_id: str) -> Visitor | None:
        """The visitor with this tracking id."""
        with self._reading() as tx:
            return tx.get_visitor(visitor_id)

    def add_account(self, account: Account) -> None:
        """Add an account leads can be linked to."""
        with self.transaction() as tx:
            tx.add_account(account)

    def post_activity(self, activity: Activity) -> bool:
        """Add an activity to its lead's history; False if there is no such lead."""
        with self.transaction() as tx:
            return tx.post_activity(activity)

    def activity_types(self) -> tuple[ActivityType, ...]:
        """The custom activity types, by event code (R-L8)."""
        with self._reading() as tx:
            return tx.activity_types()

    def add_activity_type(self, kind: ActivityType) -> bool:
        """Register a custom activity type; False, writing nothing, if its code or case-folded name is taken."""
        with self.transaction() as tx:
            return tx.add_activity_type(kind)

    def purge_idempotency_records(self, before: datetime) -> int:
        """Delete idempotency records that expired at or before `before`; how many went."""
        with self.transaction() as tx:
            return tx.purge_idempotency_records(before)

    def reading(self) -> AbstractContextManager[SQLTransaction]:
        """A connection to read through outside any write transaction (the inbox's status and metrics)."""
        return self._reading()
