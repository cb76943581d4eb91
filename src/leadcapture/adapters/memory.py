"""`InMemoryLeadStore`: the reference store, thread-safe, that every other store is checked against."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Final, assert_never

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.core.activities import ActivityType
from leadcapture.core.decision import CaptureDecision, Convert, Create, Reject, Update, posted
from leadcapture.core.match import CandidateQuery, Candidates
from leadcapture.core.records import Account, Activity, IndexEntry, Lead, Visitor
from leadcapture.core.search import ModifiedWindow, QuickSearch, modified_within, quick_search_matches
from leadcapture.core.visits import visit_activity
from leadcapture.keys import ApiKey
from leadcapture.ports import IdempotencyRecord, StoreConflict

_OK: Result[None, StoreConflict] = Success(None)
_ABSENT: Final = object()
"""Marks, in the undo log, a key that had no value before the write."""


class InMemoryLeadStore:
    """Leads, unique values, activities, visitors and accounts held in dictionaries behind one lock.

    Unique index entries have at most one holder, as a database UNIQUE constraint would enforce, and
    updates apply only to the version they were decided on, so racing captures converge (R-M10).
    """

    def __init__(self) -> None:
        """An empty store."""
        self._lock = threading.RLock()
        self._leads: dict[str, Lead] = {}
        self._index: dict[tuple[str, str], dict[str, None]] = {}
        self._entries: dict[str, tuple[IndexEntry, ...]] = {}
        self._activities: dict[str, tuple[Activity, ...]] = {}
        """Tuples, not lists: once a collection has seen them they are no longer tracked by the cyclic collector."""
        self._visitors: dict[str, Visitor] = {}
        self._accounts: dict[str, Account] = {}
        self._keys: dict[str, ApiKey] = {}
        self._undo: list[tuple[dict[Any, Any], object, object]] | None = None
        """(mapping, key, value before) per write of the open transaction; `_ABSENT` when there was none."""
        self._idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self._activity_types: dict[int, ActivityType] = {}
        """Custom activity types by event code; registered in code order, so iteration is by code."""

    def transaction(self) -> _Transaction:
        """Hold the store's lock for a batch of reads and applies; they see each other in order.

        An exception in the block undoes everything applied in it, as a database rollback would.
        """
        return _Transaction(self)

    def _begin(self) -> bool:
        """Take the lock and start an undo log; False when this joins an outer transaction."""
        self._lock.acquire()
        if self._undo is not None:
            return False
        self._undo = []
        return True

    def _end(self, *, outermost: bool, failed: bool) -> None:
        """Undo the block's writes if it failed (outermost only), then release the lock."""
        try:
            if outermost:
                undo, self._undo = self._undo, None
                if failed and undo:
                    for mapping, key, old in reversed(undo):
                        if old is _ABSENT:
                            mapping.pop(key, None)
                        else:
                            mapping[key] = old
        finally:
            self._lock.release()

    def _set(self, mapping: dict[Any, Any], key: object, value: object) -> None:
        """Set `mapping[key]`, remembering how to undo it inside a transaction."""
        if self._undo is not None:
            self._undo.append((mapping, key, mapping.get(key, _ABSENT)))
        mapping[key] = value

    def _delete(self, mapping: dict[Any, Any], key: object) -> None:
        """Remove `mapping[key]`, remembering how to undo it inside a transaction."""
        if self._undo is not None:
            self._undo.append((mapping, key, mapping[key]))
        del mapping[key]

    def find_candidates(self, query: CandidateQuery) -> Candidates:
        """The lead or visitor with the ProspectId, the holders of each key, and whether the account exists."""
        with self._lock:
            prospect = self._leads.get(query.prospect_id) if query.prospect_id else None
            visitor = self._visitors.get(query.prospect_id) if query.prospect_id and prospect is None else None
            holders = {field: self._holders(field, key) for field, key in query.keys}
            account = query.related_company_id is not None and query.related_company_id in self._accounts
            return Candidates(prospect=prospect, visitor=visitor, holders=holders, known_account=account)

    def _holders(self, field: str, key: str) -> tuple[Lead, ...]:
        ids = self._index.get((field, key))
        if not ids:
            return ()
        leads = self._leads
        if len(ids) == 1:  # a unique value, or a phone one lead holds: no sort for it
            return (leads[next(iter(ids))],)
        return tuple([leads[lead_id] for lead_id in sorted(ids)])

    def apply(self, decision: CaptureDecision) -> Result[None, StoreConflict]:
        """Write the decision and its activities at once, or refuse it if what it read has changed."""
        with self._lock:
            # Creates and updates first, with plain attribute reads: `match` class patterns cost more per capture.
            if isinstance(decision, Update):
                version = decision.expected_version
                return self._write(decision.lead, decision.index, posted(decision.activity), expected_version=version)
            if isinstance(decision, Create):
                return self._write(decision.lead, decision.index, posted(decision.activity), expected_version=None)
            match decision:
                case Convert(lead=lead, index=index, activity=activity, visit_activities=visits):
                    visitor = self._visitors.get(lead.id)
                    if visitor is None or visitor.converted:
                        return Failure(StoreConflict(reason=f"visitor {lead.id} is gone or already converted"))
                    # Visits saved after the decision read the visitor go on the lead too (adr/0028).
                    carried = {visit.id for visit in visits}
                    missed = tuple(visit_activity(lead.id, v) for v in visitor.visits if v.id not in carried)
                    written = self._write(lead, index, (*visits, *missed, *posted(activity)), expected_version=None)
                    if isinstance(written, Success):
                        self._set(self._visitors, lead.id, msgspec.structs.replace(visitor, converted=True))
                    return written
                case Reject(activity=activity):
                    if activity is not None and activity.lead_id in self._leads:
                        self._add_activities(activity.lead_id, (activity,))
                    return _OK
                case _:
                    assert_never(decision)

    def _write(
        self,
        lead: Lead,
        index: tuple[IndexEntry, ...],
        activities: tuple[Activity, ...],
        *,
        expected_version: int | None,
    ) -> Result[None, StoreConflict]:
        lead_id, held_by = lead.id, self._index
        current = self._leads.get(lead_id)
        if expected_version is None and current is not None:
            return Failure(StoreConflict(reason=f"lead {lead_id} already exists"))
        if expected_version is not None and (current is None or current.version != expected_version):
            return Failure(StoreConflict(reason=f"lead {lead_id} changed since it was read"))
        for entry in index:
            if entry.unique:
                holders = held_by.get((entry.field, entry.key))
                if holders and (len(holders) > 1 or lead_id not in holders):
                    return Failure(StoreConflict(reason=f"{entry.field} value is held by another lead"))
        previous = self._entries.get(lead_id, ())
        if previous != index:  # most updates keep their entries: nothing to re-index
            self._reindex(lead_id, previous, index)
        # `_set` and `_add_activities`, inlined: every capture writes its lead and its activities here.
        all_activities = self._activities
        before = all_activities.get(lead_id)
        if self._undo is not None:
            self._undo.append((self._leads, lead_id, _ABSENT if current is None else current))
            self._undo.append((all_activities, lead_id, _ABSENT if before is None else before))
        self._leads[lead_id] = lead
        all_activities[lead_id] = activities if before is None else (*before, *activities)
        return _OK

    def _reindex(self, lead_id: str, previous: tuple[IndexEntry, ...], index: tuple[IndexEntry, ...]) -> None:
        """Move a lead's index entries from `previous` to `index`."""
        for old in previous:
            held = {holder: None for holder in self._index[(old.field, old.key)] if holder != lead_id}
            if held:
                self._set(self._index, (old.field, old.key), held)
            else:
                self._delete(self._index, (old.field, old.key))
        for entry in index:
            key = (entry.field, entry.key)
            self._set(self._index, key, {**self._index.get(key, {}), lead_id: None})
        self._set(self._entries, lead_id, index)

    def _add_activities(self, lead_id: str, activities: tuple[Activity, ...]) -> None:
        self._set(self._activities, lead_id, (*self._activities.get(lead_id, ()), *activities))

    def get_lead(self, lead_id: str) -> Lead | None:
        """The lead with this id."""
        with self._lock:
            return self._leads.get(lead_id.lower())

    def find_leads(self, field: str, key: str) -> tuple[Lead, ...]:
        """Leads whose indexed `field` has match key `key`."""
        with self._lock:
            return self._holders(field, key)

    def activities(self, lead_id: str) -> tuple[Activity, ...]:
        """A lead's activities, newest first."""
        with self._lock:
            return tuple(reversed(self._activities.get(lead_id.lower(), ())))

    def post_activity(self, activity: Activity) -> bool:
        """Add an activity to its lead's history; False if there is no such lead."""
        with self._lock:
            if activity.lead_id not in self._leads:
                return False
            self._add_activities(activity.lead_id, (activity,))
            return True

    def save_visitor(self, visitor: Visitor) -> bool:
        """Add a visitor, or merge it into the stored one: its new visits are added, a conversion is kept.

        As in the SQL stores, nothing stored is taken away, so saving a snapshot read before another
        transaction converted the visitor or recorded a visit keeps both (adr/0026). If the visitor is
        converted, its visits not yet on its lead are posted there (adr/0028). True if it is converted.
        """
        with self._lock:
            stored = self._visitors.get(visitor.id) or Visitor(id=visitor.id)
            visits = {visit.id: visit for visit in visitor.visits} | {visit.id: visit for visit in stored.visits}
            merged = Visitor(
                id=visitor.id,
                # Oldest first, ties by id: the order the SQL stores read visits back in.
                visits=tuple(sorted(visits.values(), key=lambda visit: (visit.visited_on, visit.id))),
                converted=stored.converted or visitor.converted,
            )
            self._set(self._visitors, visitor.id, merged)
            if merged.converted and visitor.id in self._leads:
                posted = {activity.id for activity in self._activities.get(visitor.id, ())}
                missed = tuple(visit_activity(visitor.id, v) for v in merged.visits if v.id not in posted)
                if missed:
                    self._add_activities(visitor.id, missed)
            return merged.converted

    def add_account(self, account: Account) -> None:
        """Add an account leads can be linked to."""
        with self._lock:
            self._set(self._accounts, account.id, account)

    def activity_types(self) -> tuple[ActivityType, ...]:
        """The custom activity types, by event code."""
        with self._lock:
            return tuple(sorted(self._activity_types.values(), key=lambda kind: kind.event_code))

    def add_activity_type(self, kind: ActivityType) -> bool:
        """Register a custom activity type; False, writing nothing, if its code or case-folded name is taken."""
        with self._lock:
            folded = kind.name.casefold()
            taken = kind.event_code in self._activity_types or any(
                held.name.casefold() == folded for held in self._activity_types.values()
            )
            if taken:
                return False
            self._set(self._activity_types, kind.event_code, kind)
            return True

    def leads(self) -> tuple[Lead, ...]:
        """Every lead, in creation order."""
        with self._lock:
            return tuple(self._leads.values())

    def quick_search(self, search: QuickSearch, limit: int) -> tuple[Lead, ...]:
        """Up to `limit` leads answering `search` (R-L5), the most recently modified first."""
        with self._lock:
            found = [lead for lead in self._leads.values() if quick_search_matches(search, lead.fields)]
        found.sort(key=lambda lead: (lead.modified_on, lead.id), reverse=True)
        return tuple(found[:limit])

    def leads_by_ids(self, lead_ids: Sequence[str]) -> tuple[Lead, ...]:
        """The leads with these ids, in the order asked, each once; ids of no lead are left out."""
        with self._lock:
            wanted = dict.fromkeys(lead_id.lower() for lead_id in lead_ids)
            return tuple(self._leads[lead_id] for lead_id in wanted if lead_id in self._leads)

    def modified_leads(self, window: ModifiedWindow) -> tuple[int, tuple[Lead, ...]]:
        """How many leads were modified within `window`'s range, and its page of them (R-L6)."""
        with self._lock:
            found = [lead for lead in self._leads.values() if modified_within(window, lead.modified_on)]
        found.sort(key=lambda lead: (lead.modified_on, lead.id))
        return len(found), tuple(found[window.offset : window.offset + window.limit])

    def visitor(self, visitor_id: str) -> Visitor | None:
        """The visitor with this tracking id."""
        with self._lock:
            return self._visitors.get(visitor_id)

    def index_entries(self, lead_id: str) -> tuple[IndexEntry, ...]:
        """The (field, key) entries indexed for a lead."""
        with self._lock:
            return self._entries.get(lead_id, ())

    def add_key(self, key: ApiKey) -> None:
        """Store a new access key."""
        with self._lock:
            self._set(self._keys, key.access_key, key)

    def find_key(self, access_key: str) -> ApiKey | None:
        """The key with this access key, revoked or not."""
        with self._lock:
            return self._keys.get(access_key)

    def list_keys(self) -> tuple[ApiKey, ...]:
        """Every key, oldest first."""
        with self._lock:
            return tuple(self._keys.values())

    def revoke_key(self, access_key: str, *, when: datetime) -> bool:
        """Revoke a key; False if there is no such key or it was already revoked."""
        with self._lock:
            key = self._keys.get(access_key)
            if key is None or key.revoked_on is not None:
                return False
            self._set(self._keys, access_key, msgspec.structs.replace(key, revoked_on=when))
            return True

    def idempotency_record(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The record of this key, expired or not."""
        with self._lock:
            return self._idempotency.get((scope, key))

    def save_idempotency_record(self, record: IdempotencyRecord) -> bool:
        """Record an answer unless a live record holds the key (then False); an expired one is replaced."""
        with self._lock:
            held = self._idempotency.get((record.scope, record.key))
            if held is not None and held.expires_on > record.created_on:
                return False
            self._set(self._idempotency, (record.scope, record.key), record)
            return True

    def purge_idempotency_records(self, before: datetime) -> int:
        """Delete records that expired at or before `before`; how many went."""
        with self._lock:
            expired = [slot for slot, record in self._idempotency.items() if record.expires_on <= before]
            for slot in expired:
                self._delete(self._idempotency, slot)
            return len(expired)


class _Transaction:
    """`InMemoryLeadStore.transaction()`: a plain context manager, cheaper per capture than a generator."""

    __slots__ = ("_outermost", "_store")

    def __init__(self, store: InMemoryLeadStore) -> None:
        self._store = store
        self._outermost = False

    def __enter__(self) -> InMemoryLeadStore:
        self._outermost = self._store._begin()
        return self._store

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._store._end(outermost=self._outermost, failed=kind is not None)
