"""Deciding a batch of captures in memory, then writing it with a few bulk statements.

A `BatchOverlay` holds an image of the rows a batch reads: the leads, the holders of each (field, key),
the visitors and the accounts, loaded in bulk before the batch is decided and, for the rare row outside
that set, when first needed. Decisions are applied to the image exactly as the database would apply them,
constraint for constraint: an insert of a unique value someone holds, an update of a stale version, the
conversion of a converted visitor are refused, and the engine decides again, as it would row by row. So a
later capture in the batch sees what earlier ones did, and every answer is the one the row-by-row path
gives. `flush` then writes the net difference between the image and what was loaded: new leads, final
versions of updated leads, entries removed and added, and every activity in order.

A dry run keeps one image for all its batches and never writes it (adr/0058): each batch preloads only what
the image has not seen yet, and the image keeps no activities, which no decision reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from datetime import UTC, datetime
from typing import Final, NamedTuple, Protocol, assert_never

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.core.decision import CaptureDecision, Convert, Create, Reject, Update, posted
from leadcapture.core.match import CandidateQuery, Candidates
from leadcapture.core.records import Activity, IndexEntry, Lead, Visitor
from leadcapture.core.visits import visit_activity
from leadcapture.ports import StoreConflict

_OK: Final[Result[None, StoreConflict]] = Success(None)
_NO_HOLDERS: Final[frozenset[str]] = frozenset()
"""The lookup holders of most keys: one shared empty set rather than one each, as an image can hold millions."""

Key = tuple[str, str]
"""A (field, match key) pair."""


class HolderRow(NamedTuple):
    """One entry of `lead_unique_values` (unique) or `lead_lookup_values`, with the lead that holds it."""

    field: str
    key: str
    unique: bool
    lead: Lead


class BatchChanges(msgspec.Struct, frozen=True, kw_only=True):
    """What a batch changes, as rows for bulk statements, in an order the constraints accept."""

    unique_deletes: list[tuple[str, str, str]]
    lookup_deletes: list[tuple[str, str, str]]
    new_leads: list[Lead]
    """In creation order (the order of their auto numbers)."""
    updated_leads: list[tuple[Lead, int]]
    """The final lead, and the version the database holds (compare-and-set, R-M10)."""
    converted_visitors: list[str]
    unique_inserts: list[tuple[str, str, str]]
    lookup_inserts: list[tuple[str, str, str]]
    activities: list[Activity]
    """In the order the row-by-row path would post them."""
    post_activities: bool = True
    """False when the batch's activities are left out, visits of converted visitors included."""


class BatchLoader(Protocol):
    """The bulk reads a batch preloads with, and the bulk write that ends it."""

    def load_leads(self, ids: Sequence[str]) -> list[Lead]:
        """The leads with these ids (those that exist)."""
        ...

    def load_holders(self, keys: Sequence[Key]) -> list[HolderRow]:
        """Every unique and lookup entry with one of these keys, with its lead."""
        ...

    def load_visitors(self, ids: Sequence[str]) -> list[Visitor]:
        """The visitors with these ids (those that exist)."""
        ...

    def load_accounts(self, ids: Sequence[str]) -> set[str]:
        """Which of these account ids exist."""
        ...

    def write_batch(self, changes: BatchChanges) -> Result[None, StoreConflict]:
        """Write the changes all or nothing, or refuse them if the data changed meanwhile."""
        ...


class BatchOverlay:
    """An in-memory image of what a batch reads, to which its decisions are applied before one bulk write."""

    def __init__(self, loader: BatchLoader, *, activities: bool = True) -> None:
        """An empty image over `loader`; `activities=False` keeps none (it can then never be flushed with them)."""
        self._loader = loader
        self._keeps_activities = activities
        self._leads: dict[str, Lead | None] = {}
        """Every lead id looked at, with the lead as the batch has left it (None: no such lead)."""
        self._versions: dict[str, int] = {}
        """The version each loaded lead has in the database."""
        self._new: dict[str, None] = {}
        self._unique: dict[Key, str | None] = {}
        self._unique_before: dict[Key, str | None] = {}
        self._lookup: dict[Key, Set[str]] = {}
        """Never changed in place: a decision that changes a key's holders replaces its set (`_stage`)."""
        self._lookup_before: dict[Key, Set[str]] = {}
        self._touched: dict[Key, None] = {}
        """Keys whose entries a decision changed, in the order it happened."""
        self._updated: dict[str, None] = {}
        self._visitors: dict[str, Visitor | None] = {}
        self._converted: list[str] = []
        self._accounts: dict[str, bool] = {}
        self._activities: list[Activity] = []

    def __len__(self) -> int:
        """How many lead ids the image holds (those found absent included): what its memory grows with."""
        return len(self._leads)

    def preload(self, queries: Iterable[CandidateQuery]) -> None:
        """Load, in a few statements, everything deciding these queries will read."""
        prospects: dict[str, None] = {}
        keys: dict[Key, None] = {}
        accounts: dict[str, None] = {}
        for query in queries:
            if query.prospect_id:
                prospects[query.prospect_id] = None
            keys.update(dict.fromkeys(query.keys))
            if query.related_company_id is not None:
                accounts[query.related_company_id] = None
        self._ensure_leads(prospects)
        self._ensure_visitors([i for i in prospects if self._leads[i] is None])
        self._ensure_keys(list(keys))
        self._ensure_accounts(accounts)

    # Loading: the database's state for what the batch has not touched yet.

    def _remember(self, lead: Lead) -> None:
        if lead.id not in self._leads:
            self._leads[lead.id] = lead
            self._versions[lead.id] = lead.version

    def _ensure_leads(self, ids: Iterable[str]) -> None:
        missing = [i for i in ids if i not in self._leads]
        if missing:
            for lead in self._loader.load_leads(missing):
                self._remember(lead)
            for i in missing:
                self._leads.setdefault(i, None)

    def _ensure_keys(self, keys: Sequence[Key]) -> None:
        known = self._unique
        for key in keys:
            if key not in known:
                break
        else:
            return
        missing = [key for key in dict.fromkeys(keys) if key not in known]
        unique: dict[Key, str | None] = dict.fromkeys(missing)
        lookup: dict[Key, set[str]] = {}
        for row in self._loader.load_holders(missing):
            self._remember(row.lead)
            if row.unique:
                unique[(row.field, row.key)] = row.lead.id
            else:
                lookup.setdefault((row.field, row.key), set()).add(row.lead.id)
        for key in missing:
            self._unique[key] = self._unique_before[key] = unique[key]
            held = lookup.get(key)
            self._lookup[key] = self._lookup_before[key] = frozenset(held) if held else _NO_HOLDERS

    def _ensure_visitors(self, ids: Iterable[str]) -> None:
        missing = [i for i in ids if i not in self._visitors]
        if missing:
            for visitor in self._loader.load_visitors(missing):
                self._visitors[visitor.id] = visitor
            for i in missing:
                self._visitors.setdefault(i, None)

    def _ensure_accounts(self, ids: Iterable[str]) -> None:
        missing = [i for i in ids if i not in self._accounts]
        if missing:
            found = self._loader.load_accounts(missing)
            for i in missing:
                self._accounts[i] = i in found

    # The LeadTransaction protocol, over the image.

    def find_candidates(self, query: CandidateQuery) -> Candidates:
        """What the database would answer for `query` had the batch's earlier decisions been written."""
        prospect = None
        visitor = None
        prospect_id = query.prospect_id
        if prospect_id:
            if prospect_id not in self._leads:
                self._ensure_leads((prospect_id,))
            prospect = self._leads[prospect_id]
            if prospect is None:
                self._ensure_visitors((prospect_id,))
                visitor = self._visitors[prospect_id]
        holders: dict[str, tuple[Lead, ...]] = {}
        keys = query.keys
        if keys:
            self._ensure_keys(keys)
            for key in keys:
                holders[key[0]] = self._holders(key)
        known = False
        account = query.related_company_id
        if account is not None:
            self._ensure_accounts((account,))
            known = self._accounts[account]
        return Candidates(prospect=prospect, visitor=visitor, holders=holders, known_account=known)

    def _holders(self, key: Key) -> tuple[Lead, ...]:
        holder = self._unique[key]
        lookup = self._lookup[key]
        if not lookup:
            lead = self._leads[holder] if holder is not None else None
            return (lead,) if lead is not None else ()
        ids = [holder, *lookup] if holder is not None else list(lookup)
        leads = [self._leads[i] for i in ids]
        return tuple(sorted((lead for lead in leads if lead is not None), key=_lead_id))

    def apply(self, decision: CaptureDecision) -> Result[None, StoreConflict]:
        """Apply the decision to the image, or refuse it where the database would (R-M10)."""
        match decision:
            case Create(lead=lead, index=index, activity=activity):
                return self._create(lead, index, posted(activity))
            case Update():
                return self._update(decision)
            case Convert(lead=lead, index=index, activity=activity, visit_activities=visits):
                self._ensure_visitors((lead.id,))
                visitor = self._visitors[lead.id]
                if visitor is None or visitor.converted:
                    return _conflict(f"visitor {lead.id} is gone or already converted")
                # As the row-by-row path does: visits stored since the decision read the visitor go on
                # the lead too; `flush` adds any saved after the batch loaded it (adr/0028).
                carried = {visit.id for visit in visits}
                missed = tuple(visit_activity(lead.id, v) for v in visitor.visits if v.id not in carried)
                created = self._create(lead, index, (*visits, *missed, *posted(activity)))
                if isinstance(created, Success):
                    self._visitors[lead.id] = msgspec.structs.replace(visitor, converted=True)
                    self._converted.append(lead.id)
                return created
            case Reject(activity=activity):
                if activity is not None:
                    self._ensure_leads((activity.lead_id,))
                    if self._leads[activity.lead_id] is not None and self._keeps_activities:
                        self._activities.append(activity)
                return _OK
            case _:
                assert_never(decision)

    def _create(
        self,
        lead: Lead,
        index: tuple[IndexEntry, ...],
        activities: tuple[Activity, ...],
    ) -> Result[None, StoreConflict]:
        # A new lead's id is fresh: it is not looked up. Were it taken, the bulk insert would fail and the
        # batch would be done again row by row.
        if self._leads.get(lead.id) is not None:
            return _conflict(f"lead {lead.id} already exists")
        staged = self._stage(lead.id, (), index)
        if isinstance(staged, str):
            return _conflict(staged)
        self._commit(staged, lead, activities)
        self._new[lead.id] = None
        return _OK

    def _update(self, decision: Update) -> Result[None, StoreConflict]:
        lead = decision.lead
        self._ensure_leads((lead.id,))
        current = self._leads[lead.id]
        if current is None or current.version != decision.expected_version:
            return _conflict(f"lead {lead.id} changed since it was read")
        kept = set(decision.index) & set(decision.previous_index)
        removed = [entry for entry in decision.previous_index if entry not in kept]
        added = [entry for entry in decision.index if entry not in kept]
        staged = self._stage(lead.id, removed, added)
        if isinstance(staged, str):
            return _conflict(staged)
        self._commit(staged, lead, posted(decision.activity))
        if lead.id in self._versions:
            self._updated[lead.id] = None
        return _OK

    def _stage(
        self,
        lead_id: str,
        removed: Sequence[IndexEntry],
        added: Sequence[IndexEntry],
    ) -> _Staged | str:
        """The entries after removing then adding, as the tables' primary keys allow; else why not."""
        self._ensure_keys([(entry.field, entry.key) for entry in (*removed, *added)])
        unique: dict[Key, str | None] = {}
        lookup: dict[Key, set[str]] = {}
        for entry in removed:
            key = (entry.field, entry.key)
            if entry.unique:
                if unique.get(key, self._unique[key]) == lead_id:
                    unique[key] = None
            else:
                lookup.setdefault(key, set(self._lookup[key])).discard(lead_id)
        for entry in added:
            key = (entry.field, entry.key)
            if entry.unique:
                if unique.get(key, self._unique[key]) is not None:
                    return f"{entry.field} value is held by another lead"
                unique[key] = lead_id
            else:
                holders = lookup.setdefault(key, set(self._lookup[key]))
                if lead_id in holders:
                    return f"{entry.field} value is already indexed for lead {lead_id}"
                holders.add(lead_id)
        return _Staged(unique=unique, lookup=lookup)

    def _commit(self, staged: _Staged, lead: Lead, activities: tuple[Activity, ...]) -> None:
        touched = self._touched
        for key, holder in staged.unique.items():
            self._unique[key] = holder
            touched[key] = None
        for key, holders in staged.lookup.items():
            self._lookup[key] = holders
            touched[key] = None
        self._leads[lead.id] = _as_stored(lead)
        if self._keeps_activities:
            self._activities.extend(activities)

    def flush(self, *, activities: bool = True) -> Result[None, StoreConflict]:
        """Write what the batch decided in one all-or-nothing step of bulk statements.

        `activities=False` leaves the activities out (a dry run's doomed transaction: no decision reads them).
        """
        return self._loader.write_batch(self.changes(activities=activities))

    def changes(self, *, activities: bool = True) -> BatchChanges:
        """The net difference between the image and the database, as bulk statement rows (`activities` or not)."""
        if activities and not self._keeps_activities:
            msg = "this image keeps no activities: it can only be written without them"
            raise ValueError(msg)
        unique_deletes: list[tuple[str, str, str]] = []
        unique_inserts: list[tuple[str, str, str]] = []
        lookup_deletes: list[tuple[str, str, str]] = []
        lookup_inserts: list[tuple[str, str, str]] = []
        for key in self._touched:
            before, after = self._unique_before[key], self._unique[key]
            if after != before:
                if before is not None:
                    unique_deletes.append((*key, before))
                if after is not None:
                    unique_inserts.append((*key, after))
            earlier, later = self._lookup_before[key], self._lookup[key]
            if later != earlier:
                lookup_deletes.extend((*key, i) for i in sorted(earlier - later))
                lookup_inserts.extend((*key, i) for i in sorted(later - earlier))
        updated = []
        for lead_id in self._updated:
            lead = self._leads[lead_id]
            if lead is not None:
                updated.append((lead, self._versions[lead_id]))
        new_leads = [self._leads[i] for i in self._new]
        return BatchChanges(
            unique_deletes=unique_deletes,
            lookup_deletes=lookup_deletes,
            new_leads=[lead for lead in new_leads if lead is not None],
            updated_leads=updated,
            converted_visitors=list(self._converted),
            unique_inserts=unique_inserts,
            lookup_inserts=lookup_inserts,
            activities=list(self._activities) if activities else [],
            post_activities=activities,
        )


class _Staged(NamedTuple):
    unique: dict[Key, str | None]
    lookup: dict[Key, set[str]]


def _lead_id(lead: Lead) -> str:
    return lead.id


def _conflict(reason: str) -> Result[None, StoreConflict]:
    return Failure(StoreConflict(reason=reason))


def _as_stored(lead: Lead) -> Lead:
    """The lead as reading it back from the database gives it: its times in UTC."""
    # Plain tests, not all() over a generator: this runs for every row of every batch.
    last = lead.last_activity_on
    if lead.created_on.tzinfo is UTC and lead.modified_on.tzinfo is UTC and (last is None or last.tzinfo is UTC):
        return lead
    return msgspec.structs.replace(
        lead,
        created_on=_utc(lead.created_on),
        modified_on=_utc(lead.modified_on),
        last_activity_on=_utc(lead.last_activity_on) if lead.last_activity_on is not None else None,
    )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
