"""The ports: what the engine needs from the world, as `typing.Protocol`s.

A store answers the look-ups a decision needs (`find_candidates`) and applies a decision atomically with
its activities (`apply`). Time and new ids come from a `Clock` and an `IdFactory`, so the core stays pure
and tests can pin both.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable

import msgspec
from returns.result import Result

from leadcapture.core.activities import ActivityType
from leadcapture.core.decision import CaptureDecision
from leadcapture.core.match import CandidateQuery, Candidates
from leadcapture.core.records import Account, Activity, Lead, Visitor
from leadcapture.core.search import ModifiedWindow, QuickSearch
from leadcapture.keys import ApiKey


class StoreConflict(msgspec.Struct, frozen=True, kw_only=True):
    """The store refused a decision because the data it was decided on changed (R-M10).

    A unique value taken meanwhile, a lead updated since it was read, a visitor already converted: the
    engine reads again and decides again.
    """

    reason: str


class LeadTransaction(Protocol):
    """Reads and writes inside one store transaction: what a capture needs between look-up and apply."""

    def find_candidates(self, query: CandidateQuery) -> Candidates:
        """Everything a decision may read for one request, as this transaction sees it."""
        ...

    def apply(self, decision: CaptureDecision) -> Result[None, StoreConflict]:
        """Write a decision and its activities, all or nothing, or refuse it with a conflict.

        A refused decision leaves the transaction usable: nothing of it was written.
        """
        ...


class LeadStore(Protocol):
    """Where leads, their unique values, activities, visitors and accounts live."""

    def transaction(self) -> AbstractContextManager[LeadTransaction]:
        """A transaction for one capture or a batch of them; it commits when the block ends normally.

        Decisions applied inside it see each other, in order. An exception rolls it back.
        """
        ...

    def find_candidates(self, query: CandidateQuery) -> Candidates:
        """Everything a decision may read for one request: the lead or visitor with the ProspectId, the
        holders of each (field, key), and whether the account exists."""
        ...

    def apply(self, decision: CaptureDecision) -> Result[None, StoreConflict]:
        """Write a decision and its activities in one atomic step, or refuse it with a conflict.

        A `Reject` writes only its duplicate activity, if it has one (R-U3). A `Convert` also posts, as
        web-visit activities of the new lead, the visits of the visitor stored since the decision read it,
        so that every visit of a converted visitor is on its lead once (R-M6, adr/0028).
        """
        ...

    def get_lead(self, lead_id: str) -> Lead | None:
        """The lead with this id."""
        ...

    def find_leads(self, field: str, key: str) -> tuple[Lead, ...]:
        """Leads whose indexed `field` has match key `key` (see `leadcapture.core.values.match_key`)."""
        ...

    def quick_search(self, search: QuickSearch, limit: int) -> tuple[Lead, ...]:
        """Up to `limit` leads answering `search` (R-L5), the most recently modified first (ties: larger id)."""
        ...

    def leads_by_ids(self, lead_ids: Sequence[str]) -> tuple[Lead, ...]:
        """The leads with these ids, in the order asked, each once; ids of no lead are left out (R-L6)."""
        ...

    def modified_leads(self, window: ModifiedWindow) -> tuple[int, tuple[Lead, ...]]:
        """How many leads were modified within `window`'s range, and its page, oldest change first (R-L6)."""
        ...

    def activities(self, lead_id: str) -> tuple[Activity, ...]:
        """A lead's activities, newest first."""
        ...

    def post_activity(self, activity: Activity) -> bool:
        """Add an activity (a web visit, R-W3) to its lead's history; False if there is no such lead."""
        ...

    def save_visitor(self, visitor: Visitor) -> bool:
        """Add an anonymous visitor, or merge it into the stored one (adr/0026); True if it is converted.

        Merging never takes anything away: visits not stored yet are added (by visit id), and a visitor
        once converted stays converted, whatever the saved snapshot says. When the stored visitor is
        converted and its lead exists, the same write also posts each of its visits not yet on the lead
        as a web-visit activity there (activity id = visit id, so none twice; R-M6, R-W3, adr/0028).
        """
        ...

    def visitor(self, visitor_id: str) -> Visitor | None:
        """The visitor with this tracking id."""
        ...

    def add_account(self, account: Account) -> None:
        """Add an account leads can be linked to."""
        ...

    def activity_types(self) -> tuple[ActivityType, ...]:
        """The custom activity types, by event code; the built-in ones are not stored (R-L8)."""
        ...

    def add_activity_type(self, kind: ActivityType) -> bool:
        """Register a custom activity type; False, writing nothing, if its code or (case-folded) name is taken."""
        ...


@runtime_checkable
class ActivityTransaction(LeadTransaction, Protocol):
    """A store transaction that also reads and writes what posting an activity needs (R-L8).

    A post that captures its lead applies the capture and posts the activity in one such transaction.
    """

    def get_lead(self, lead_id: str) -> Lead | None:
        """The lead with this id, as this transaction sees it."""
        ...

    def find_leads(self, field: str, key: str) -> tuple[Lead, ...]:
        """Leads whose indexed `field` has match key `key`, as this transaction sees them."""
        ...

    def post_activity(self, activity: Activity) -> bool:
        """Add an activity to its lead's history; False if there is no such lead."""
        ...

    def activity_types(self) -> tuple[ActivityType, ...]:
        """The custom activity types, by event code, as this transaction sees them."""
        ...

    def add_activity_type(self, kind: ActivityType) -> bool:
        """Register a custom activity type; False, writing nothing, if its code or name is taken."""
        ...


class KeyStore(Protocol):
    """Where API access keys live (R-H3): only the hash of each secret is stored."""

    def add_key(self, key: ApiKey) -> None:
        """Store a new access key."""
        ...

    def find_key(self, access_key: str) -> ApiKey | None:
        """The key with this access key, revoked or not."""
        ...

    def list_keys(self) -> tuple[ApiKey, ...]:
        """Every key, oldest first."""
        ...

    def revoke_key(self, access_key: str, *, when: datetime) -> bool:
        """Revoke a key; False if there is no such key or it was already revoked."""
        ...


class Clock(Protocol):
    """The current time, always timezone-aware UTC."""

    def now(self) -> datetime:
        """The current time."""
        ...


class IdFactory(Protocol):
    """New GUIDs for leads, activities and visits."""

    def new_id(self) -> str:
        """A new lowercase GUID string."""
        ...


class IdempotencyRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The first answer given to a request that carried an idempotency key.

    `scope` names the endpoint and the caller (an access key), so that two callers never share a key;
    `fingerprint` identifies the request the key was first used with.
    """

    scope: str
    key: str
    fingerprint: str
    status: int
    body: bytes
    created_on: datetime
    expires_on: datetime


class IdempotentTransaction(LeadTransaction, Protocol):
    """A store transaction that also reads and writes idempotency records, with the capture they answer."""

    def idempotency_record(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The record of this key, expired or not, as this transaction sees it."""
        ...

    def save_idempotency_record(self, record: IdempotencyRecord) -> bool:
        """Record an answer, replacing an expired record of the same key.

        False, writing nothing, if a record of the key that is still live at `record.created_on` exists:
        another request with the key got there first, and this transaction must be rolled back.
        """
        ...


@runtime_checkable
class IdempotentStore(Protocol):
    """A store whose transactions keep idempotency records beside the leads (see `Engine.answer_once`)."""

    def transaction(self) -> AbstractContextManager[IdempotentTransaction]:
        """A transaction for a capture and the record of its answer: both are written, or neither."""
        ...

    def purge_idempotency_records(self, before: datetime) -> int:
        """Delete records that expired at or before `before`; how many went."""
        ...
