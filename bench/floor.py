"""The floor: the least Python a capture of the benchmark bodies can run, to measure what no engine goes under.

`FloorCapture` stores what `Engine.capture` stores for the benchmark's bodies (the same `Lead` and
`Activity` records, the same ids drawn in the same order, the same first-touch and equal-value answers),
and nothing else: no explanation, no `CaptureDecision`, no index entries, no rollback journal, no result
container, no lock, and none of the rules the bodies never reach (ProspectId, SearchBy, behaviours,
update policies, unique clashes, blocked values, visitors, bad input, which it answers by raising).
It reuses the engine's own body decoder, email and phone normalisers, id factory and clock, so what it
measures is the work a capture cannot leave out, in this interpreter.

`python -m bench --against REV` times it beside both engines in the same rounds (`bench/ab_runner.py
--floor`), and `bench.stores` beside `capture_many`: a path whose target is out of reach even with the
floor in place of the engine is out of reach for any engine written in Python. `check_agreement` runs a
workload through both with one deterministic id factory and clock and compares every stored record; each
benchmark calls it before timing.

`FloorCapture` answers only the lead's id, but a capture's answer is part of what `Engine.capture` must do:
its `Success(CaptureReceipt)` and the `Create` or `Update` in it (index entries, previous index, expected
version, activity, and the explanation: search order, each identifier's lookup, the fields set and the
ones left alone with their reasons) are the engine's public answer, the same structure a dry run reports.
`AnsweringFloor` stores what `FloorCapture` stores and also returns that answer, equal to the engine's,
made with plain loops for the bodies' two outcomes (Created by R-M9, Updated by R-M8 after an email or a
phone found the lead: both are unique in the default schema, so a lookup finds one lead at most) and raising
on anything else. It is the floor for "the same work, the same answers": `python -m bench --against REV`
times it as a fourth side (`bench/ab_runner.py --floor-answers`), after `check_answer_agreement` has held
every answer and record it makes to the engine's.

A database takes rows, not records. The raw baselines of the store benchmarks bind rows made before
timing (the JSON text of a lead's fields and of its activity's data, times as integer microseconds), so a
capture into a database costs at least the floor plus making those rows: `sql_rows` makes them from what
the floor stored with the SQL stores' own encoders, one row per lead and one per activity, the fewest any
capture of the bodies writes. `check_row_agreement` holds them to what `SQLiteLeadStore` writes for the
same bodies.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any, Final

import msgspec
from returns.result import Failure, Success

from leadcapture import Engine, InMemoryLeadStore
from leadcapture.adapters.sql import ACTIVITY_COLUMNS, LEAD_COLUMNS, activity_row, lead_row
from leadcapture.adapters.sqlite import SQLiteLeadStore
from leadcapture.core.decision import CaptureReceipt, Create, Explanation, FieldLeftAlone, IdentifierLookup, Update
from leadcapture.core.match import most_recently_active
from leadcapture.core.names import EMAIL, LEAD_CAPTURE_EVENT_CODE, LEAD_CAPTURE_EVENT_NAME, PHONE, Outcome
from leadcapture.core.records import (
    Activity,
    CaptureActivityData,
    FieldChange,
    IndexEntry,
    Lead,
    SubmittedAttribute,
)
from leadcapture.core.request import RawAttribute
from leadcapture.core.schema import DEFAULT_SCHEMA, Schema
from leadcapture.core.update import EQUAL_VALUE, FIRST_TOUCH
from leadcapture.core.values import ContactNormalizer
from leadcapture.normalize import STANDARD_NORMALIZER
from leadcapture.ports import Clock, IdFactory
from leadcapture.runtime import SystemClock, UUID7Factory

_DECODER: Final = msgspec.json.Decoder(list[RawAttribute])
_CREATED: Final = Outcome.CREATED.value
_UPDATED: Final = Outcome.UPDATED.value
_CREATED_OUTCOME: Final = Outcome.CREATED
_UPDATED_OUTCOME: Final = Outcome.UPDATED
_EMAIL_ONLY: Final[tuple[str, ...]] = (EMAIL,)
_PHONE_ONLY: Final[tuple[str, ...]] = (PHONE,)
_EMAIL_THEN_PHONE: Final[tuple[str, ...]] = (EMAIL, PHONE)
_SKIPPED: Final = "not searched"
_IDENTIFIERS: Final = frozenset((EMAIL, PHONE))


class FloorStore:
    """What both floors hold (leads, activities, the holders of each email and phone) and the helpers they share."""

    def __init__(
        self,
        *,
        schema: Schema = DEFAULT_SCHEMA,
        contacts: ContactNormalizer = STANDARD_NORMALIZER,
        clock: Clock | None = None,
        ids: IdFactory | None = None,
    ) -> None:
        """An empty floor store; clock and ids default to the engine's."""
        self.leads: dict[str, Lead] = {}
        self.activities: dict[str, tuple[Activity, ...]] = {}
        self._holders: dict[tuple[str, str], dict[str, None]] = {}
        self._limits = schema.text_limits
        self._specs = schema.fields_by_name
        self._source_fields = schema.source_fields
        self._country_code = schema.default_country_code
        self._contacts = contacts
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._ids: IdFactory = ids if ids is not None else UUID7Factory()

    def _contact(self, name: str, value: str) -> str:
        spec = self._specs[name]
        if name == EMAIL:
            contact = self._contacts.email(value)
        elif name == PHONE:
            contact = self._contacts.phone(value, self._country_code)
        else:
            contact = None
        if contact is None or (spec.max_length is not None and len(contact) > spec.max_length):
            msg = f"{name}: the floor takes only what the engine stores unchanged or as a contact: {value!r}"
            raise ValueError(msg)
        return contact

    def _holder(self, field: str, key: str) -> Lead | None:
        held = self._holders.get((field, key))
        if not held:
            return None
        if len(held) == 1:
            return self.leads[next(iter(held))]
        return most_recently_active(tuple([self.leads[lead_id] for lead_id in sorted(held)]))

    def _index(self, lead_id: str, *entries: tuple[str, str | None]) -> None:
        for field, key in entries:
            if key is not None:
                holders = self._holders.setdefault((field, key), {})
                if field == EMAIL and holders:
                    msg = f"{key} is held by another lead: the floor does not reject"
                    raise ValueError(msg)
                holders[lead_id] = None

    def _reindex(self, before: Lead, after: Lead) -> None:
        for field in (EMAIL, PHONE):
            old, new = before.fields.get(field), after.fields.get(field)
            old_key = _key(field, old)
            new_key = _key(field, new)
            if old_key == new_key:
                continue
            if old_key is not None:
                del self._holders[(field, old_key)][before.id]
            self._index(before.id, (field, new_key))


class FloorCapture(FloorStore):
    """`capture(body)` stores a benchmark body as `Engine.capture` would, with nothing a body does not need."""

    def capture(self, body: bytes | Mapping[str, str]) -> str:
        """Store one body (JSON, or a `{name: value}` row of text); the lead's id."""
        attributes = (
            _DECODER.decode(body)
            if isinstance(body, bytes)
            else [RawAttribute(name, value) for name, value in body.items()]
        )
        values: dict[str, str] = {}
        submitted = []
        for raw in attributes:
            name, value = raw.attribute, raw.value
            if type(value) is not str:
                msg = f"{name}: the floor takes text values only"
                raise TypeError(msg)
            stripped = value.strip()
            limit = self._limits.get(name)
            if limit is not None and len(stripped) <= limit:
                values[name] = stripped
            else:
                values[name] = self._contact(name, stripped)
            submitted.append(SubmittedAttribute(attribute=name, value=value))
        email, phone = values.get(EMAIL), values.get(PHONE)
        email_key = email.lower() if email else None
        phone_key = phone.replace("-", "") if phone else None
        lead, matched_by = None, None
        if email_key is not None:
            lead = self._holder(EMAIL, email_key)
            matched_by = EMAIL if lead is not None else None
        if lead is None and phone_key is not None:
            lead = self._holder(PHONE, phone_key)
            matched_by = PHONE if lead is not None else None
        # The engine draws a lead id and an activity id for every capture, in this order.
        lead_id, activity_id = self._ids.new_id(), self._ids.new_id()
        now = self._clock.now()
        if lead is None:
            fields = {name: value for name, value in values.items() if value}
            changes = tuple([FieldChange(field=name, old="", new=value) for name, value in fields.items()])
            stored = Lead(id=lead_id, fields=fields, created_on=now, modified_on=now, last_activity_on=now)
            outcome, rule = _CREATED, "R-M9"
            self._index(lead_id, (EMAIL, email_key), (PHONE, phone_key))
        else:
            lead_id = lead.id
            changes = self._changes(lead.fields, values)
            fields = dict(lead.fields)
            for change in changes:
                fields[change.field] = change.new
            stored = msgspec.structs.replace(
                lead,
                fields=fields,
                modified_on=now if changes else lead.modified_on,
                last_activity_on=now,
                version=lead.version + 1,
            )
            outcome, rule = _UPDATED, "R-M8"
            self._reindex(lead, stored)
        source = {name: value for name, value in values.items() if value and name in self._source_fields}
        activity = Activity(
            id=activity_id,
            lead_id=lead_id,
            event_code=LEAD_CAPTURE_EVENT_CODE,
            event_name=LEAD_CAPTURE_EVENT_NAME,
            created_on=now,
            data=CaptureActivityData(
                outcome=outcome,
                rule=rule,
                matched_by=matched_by,
                behavior=None,
                submitted=tuple(submitted),
                changes=changes,
                source=source,
            ),
        )
        self.leads[lead_id] = stored
        before = self.activities.get(lead_id)
        self.activities[lead_id] = (activity,) if before is None else (*before, activity)
        return lead_id

    def _changes(self, stored: dict[str, str], values: dict[str, str]) -> tuple[FieldChange, ...]:
        """What the default behaviour sets: a new value, not a first-touch source already set (R-B1, R-B5, R-S1)."""
        changes = []
        for name, new in values.items():
            old = stored.get(name, "")
            if old == new or (old and name in self._source_fields):
                continue
            if old and name == EMAIL and old.lower() == new.lower():
                continue
            if old and name == PHONE and old.replace("-", "") == new.replace("-", ""):
                continue
            if not new:
                msg = f"{name}: the floor does not clear fields"
                raise ValueError(msg)
            changes.append(FieldChange(field=name, old=old, new=new))
        return tuple(changes)


class AnsweringFloor(FloorStore):
    """`capture(body)` stores what `FloorCapture` stores and answers what `Engine.capture` answers for the body.

    The answer is the engine's `Success(CaptureReceipt)`, equal to it: the `Create` or `Update` with its index
    entries (the previous ones kept per lead, as they were made), expected version, activity and explanation
    (the search, each identifier's lookup, the fields set and the ones left alone, and why).
    """

    def __init__(
        self,
        *,
        schema: Schema = DEFAULT_SCHEMA,
        contacts: ContactNormalizer = STANDARD_NORMALIZER,
        clock: Clock | None = None,
        ids: IdFactory | None = None,
    ) -> None:
        """An empty answering floor; it answers under LeadSquared's identifier and update rules only."""
        if not schema.leadsquared_rules:
            msg = "the answering floor answers under LeadSquared's identifier and update rules only"
            raise ValueError(msg)
        super().__init__(schema=schema, contacts=contacts, clock=clock, ids=ids)
        self._unique = {name: name in schema.unique_fields for name in (EMAIL, PHONE)}
        self._entries: dict[str, tuple[IndexEntry, ...]] = {}
        """Each lead's index entries as last made: an update's `previous_index`."""

    def capture(self, body: bytes | Mapping[str, str]) -> Success[CaptureReceipt]:  # noqa: C901, PLR0912, PLR0915 - one pass, as FloorCapture
        """Store one body (JSON, or a `{name: value}` row of text); the engine's answer for it."""
        attributes = (
            _DECODER.decode(body)
            if isinstance(body, bytes)
            else [RawAttribute(name, value) for name, value in body.items()]
        )
        values: dict[str, str] = {}
        submitted = []
        for raw in attributes:
            name, value = raw.attribute, raw.value
            if type(value) is not str:
                msg = f"{name}: the floor takes text values only"
                raise TypeError(msg)
            stripped = value.strip()
            limit = self._limits.get(name)
            if limit is not None and len(stripped) <= limit:
                values[name] = stripped
            else:
                values[name] = self._contact(name, stripped)
            submitted.append(SubmittedAttribute(attribute=name, value=value))
        email, phone = values.get(EMAIL), values.get(PHONE)
        # The search (R-M2): EmailAddress, then Phone, each only if given; the first that finds a lead decides.
        lead, matched_by = None, None
        lookups: tuple[IdentifierLookup, ...]
        if email:
            lead, first = self._search(EMAIL, email, email.lower())
            if lead is not None:
                matched_by = EMAIL
            if not phone:
                order, lookups = _EMAIL_ONLY, (first,)
            elif lead is not None:
                order, lookups = (
                    _EMAIL_THEN_PHONE,
                    (first, IdentifierLookup(identifier=PHONE, value=phone, found=_SKIPPED)),
                )
            else:
                lead, second = self._search(PHONE, phone, phone.replace("-", ""))
                if lead is not None:
                    matched_by = PHONE
                order, lookups = _EMAIL_THEN_PHONE, (first, second)
        elif phone:
            lead, only = self._search(PHONE, phone, phone.replace("-", ""))
            if lead is not None:
                matched_by = PHONE
            order, lookups = _PHONE_ONLY, (only,)
        else:
            msg = "no EmailAddress or Phone: the floor does not create a lead without an identifier (R-M1)"
            raise ValueError(msg)
        lead_id, activity_id = self._ids.new_id(), self._ids.new_id()
        now = self._clock.now()
        unchanged: tuple[FieldLeftAlone, ...]
        previous: tuple[IndexEntry, ...]
        if lead is None:
            fields = {name: value for name, value in values.items() if value}
            changes = tuple([FieldChange(field=name, old="", new=value) for name, value in fields.items()])
            stored = Lead(id=lead_id, fields=fields, created_on=now, modified_on=now, last_activity_on=now)
            outcome, rule, unchanged, previous = _CREATED_OUTCOME, "R-M9", (), ()
            index = self._entries[lead_id] = self._entries_of(fields)
            self._index(lead_id, (EMAIL, email.lower() if email else None), (PHONE, _key(PHONE, phone)))
        else:
            lead_id = lead.id
            changes, unchanged, reindex = self._plan(lead.fields, values)
            fields = dict(lead.fields)
            for change in changes:
                fields[change.field] = change.new
            stored = msgspec.structs.replace(
                lead,
                fields=fields,
                modified_on=now if changes else lead.modified_on,
                last_activity_on=now,
                version=lead.version + 1,
            )
            outcome, rule = _UPDATED_OUTCOME, "R-M8"
            index = previous = self._entries[lead_id]
            if reindex:
                index = self._entries[lead_id] = self._entries_of(fields)
                self._reindex(lead, stored)
        source = {name: value for name, value in values.items() if value and name in self._source_fields}
        activity = Activity(
            id=activity_id,
            lead_id=lead_id,
            event_code=LEAD_CAPTURE_EVENT_CODE,
            event_name=LEAD_CAPTURE_EVENT_NAME,
            created_on=now,
            data=CaptureActivityData(
                outcome=outcome.value,
                rule=rule,
                matched_by=matched_by,
                behavior=None,
                submitted=tuple(submitted),
                changes=changes,
                source=source,
            ),
        )
        explanation = Explanation(
            outcome=outcome,
            rule=rule,
            search_order=order,
            lookups=lookups,
            matched_by=matched_by,
            lead_id=lead_id,
            behavior=None,
            changes=changes,
            unchanged=unchanged,
        )
        decision: Create | Update
        if lead is None:
            decision = Create(lead=stored, index=index, activity=activity, explanation=explanation)
        else:
            decision = Update(
                lead=stored,
                expected_version=lead.version,
                index=index,
                previous_index=previous,
                activity=activity,
                explanation=explanation,
            )
        self.leads[lead_id] = stored
        before = self.activities.get(lead_id)
        self.activities[lead_id] = (activity,) if before is None else (*before, activity)
        return Success(
            CaptureReceipt(
                lead_id=lead_id,
                activity_id=activity_id,
                is_created=lead is None,
                outcome=outcome,
                decision=decision,
            )
        )

    def _search(self, field: str, value: str, key: str) -> tuple[Lead | None, IdentifierLookup]:
        """The lead holding `key` for `field`, and the lookup the explanation records."""
        held = self._holders.get((field, key))
        if not held:
            return None, IdentifierLookup(identifier=field, value=value, found="nothing")
        if len(held) > 1:
            msg = f"{field} {value} is held by several leads: the floor answers for one holder only"
            raise ValueError(msg)
        lead_id = next(iter(held))
        return self.leads[lead_id], IdentifierLookup(identifier=field, value=value, found="lead", lead_ids=(lead_id,))

    def _entries_of(self, fields: dict[str, str]) -> tuple[IndexEntry, ...]:
        """The index entries of a lead with `fields`: its email lowercased, its phone without '-'."""
        email, phone = fields.get(EMAIL), fields.get(PHONE)
        if email and phone:
            return (
                IndexEntry(field=EMAIL, key=email.lower(), unique=self._unique[EMAIL]),
                IndexEntry(field=PHONE, key=phone.replace("-", ""), unique=self._unique[PHONE]),
            )
        if email:
            return (IndexEntry(field=EMAIL, key=email.lower(), unique=self._unique[EMAIL]),)
        if phone:
            return (IndexEntry(field=PHONE, key=phone.replace("-", ""), unique=self._unique[PHONE]),)
        return ()

    def _plan(
        self, stored: dict[str, str], values: dict[str, str]
    ) -> tuple[tuple[FieldChange, ...], tuple[FieldLeftAlone, ...], bool]:
        """`FloorCapture._changes`, with what it leaves alone and why (R-B5, R-S1), and whether an identifier moved."""
        changes = []
        unchanged = []
        reindex = False
        for name, new in values.items():
            old = stored.get(name, "")
            if old == new:
                unchanged.append(FieldLeftAlone(field=name, value=new, reason=EQUAL_VALUE))
                continue
            if not new:
                msg = f"{name}: the floor does not clear fields"
                raise ValueError(msg)
            if old:
                if (name == EMAIL and old.lower() == new.lower()) or (
                    name == PHONE and old.replace("-", "") == new.replace("-", "")
                ):
                    unchanged.append(FieldLeftAlone(field=name, value=new, reason=EQUAL_VALUE))
                    continue
                if name in self._source_fields:
                    unchanged.append(FieldLeftAlone(field=name, value=new, reason=FIRST_TOUCH))
                    continue
            reindex = reindex or name in _IDENTIFIERS
            changes.append(FieldChange(field=name, old=old, new=new))
        return tuple(changes), tuple(unchanged), reindex


def _key(field: str, value: str | None) -> str | None:
    if not value:
        return None
    return value.lower() if field == EMAIL else value.replace("-", "")


class _CountingIds:
    """Ids `00000000-...-000000000001` on: both sides of an agreement check draw the same sequence."""

    def __init__(self) -> None:
        self._next = count(1)

    def new_id(self) -> str:
        return f"00000000-0000-7000-8000-{next(self._next):012x}"


class _TickingClock:
    """A clock a millisecond later at every reading, from a fixed start."""

    def __init__(self) -> None:
        self._ticks = count()

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(milliseconds=next(self._ticks))


class FloorDisagreesError(AssertionError):
    """The floor stored something other than the engine: it would not measure the same work."""


def check_agreement(bodies: Iterable[bytes | Mapping[str, str]], *, schema: Schema = DEFAULT_SCHEMA) -> int:
    """Capture `bodies` with the engine and with the floor, then compare every lead and activity stored.

    Raises `FloorDisagreesError` on the first difference; returns how many leads both hold.
    """
    store = InMemoryLeadStore()
    engine = Engine(store=store, schema=schema, clock=_TickingClock(), ids=_CountingIds())
    floor = FloorCapture(schema=schema, clock=_TickingClock(), ids=_CountingIds())
    for number, body in enumerate(bodies):
        receipt = engine.capture(body).unwrap()
        lead_id = floor.capture(body)
        if lead_id != receipt.lead_id:
            msg = f"body {number}: the engine stored lead {receipt.lead_id}, the floor {lead_id}"
            raise FloorDisagreesError(msg)
    return _check_stored(store, floor)


def check_answer_agreement(bodies: Iterable[bytes | Mapping[str, str]], *, schema: Schema = DEFAULT_SCHEMA) -> int:
    """Capture `bodies` with the engine and with the answering floor: every answer and every record must be equal.

    Each body's `Success(CaptureReceipt)` is compared as it comes (decision, index entries, explanation and
    all), then every lead and activity stored. Raises `FloorDisagreesError` on the first difference, naming the
    body and where in its answer it lies; returns how many leads both hold.
    """
    store = InMemoryLeadStore()
    engine = Engine(store=store, schema=schema, clock=_TickingClock(), ids=_CountingIds())
    floor = AnsweringFloor(schema=schema, clock=_TickingClock(), ids=_CountingIds())
    for number, body in enumerate(bodies):
        expected = engine.capture(body)
        if not isinstance(expected, Success):
            msg = f"body {number}: the engine refused it: {expected}"
            raise FloorDisagreesError(msg)
        answer = floor.capture(body)
        if answer != expected:
            where, engine_part, floor_part = _difference(expected.unwrap(), answer.unwrap(), "receipt")
            msg = f"body {number}: {where} differs: the engine answered {engine_part!r}, the floor {floor_part!r}"
            raise FloorDisagreesError(msg)
    return _check_stored(store, floor)


def _difference(expected: object, got: object, where: str) -> tuple[str, object, object]:
    """Where two answers first differ, as a path into them (`receipt.decision.explanation...`), and both parts there."""
    if isinstance(expected, msgspec.Struct) and type(got) is type(expected):
        for name in expected.__struct_fields__:
            if getattr(expected, name) != getattr(got, name):
                return _difference(getattr(expected, name), getattr(got, name), f"{where}.{name}")
    if isinstance(expected, tuple) and isinstance(got, tuple) and len(expected) == len(got):
        for number, (one, other) in enumerate(zip(expected, got, strict=True)):
            if one != other:
                return _difference(one, other, f"{where}[{number}]")
    return where, expected, got


def _check_stored(store: InMemoryLeadStore, floor: FloorStore) -> int:
    """Compare every lead and activity the engine's `store` and `floor` hold; how many leads both hold."""
    engine_leads = {lead.id: lead for lead in store.leads()}
    if engine_leads != floor.leads:
        ids = sorted(engine_leads.keys() | floor.leads.keys())
        first = next(lead_id for lead_id in ids if engine_leads.get(lead_id) != floor.leads.get(lead_id))
        msg = f"lead {first}: the engine stored {engine_leads.get(first)}, the floor {floor.leads.get(first)}"
        raise FloorDisagreesError(msg)
    for lead_id, activities in floor.activities.items():
        if store.activities(lead_id) != tuple(reversed(activities)):
            msg = f"lead {lead_id}: the activities differ"
            raise FloorDisagreesError(msg)
    return len(floor.leads)


def sql_rows(floor: FloorStore) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The `leads` and `activities` rows of what `floor` holds, made by the SQL stores' own encoders.

    One row per lead, in its latest state, and one per activity: however a store batches its writes, it
    binds at least these, so making them is part of what a capture into a database costs at least.
    """
    lead_rows = [lead_row(lead) for lead in floor.leads.values()]
    activity_rows = [activity_row(activity) for posted in floor.activities.values() for activity in posted]
    return lead_rows, activity_rows


def check_row_agreement(bodies: Iterable[bytes | Mapping[str, str]], path: Path) -> int:
    """Capture `bodies` into a new SQLite file at `path` with the engine, then compare its tables with `sql_rows`.

    The engine's `capture_many` and the floor run with one deterministic id factory and clock; raises
    `FloorDisagreesError` unless the `leads` and `activities` tables hold exactly the floor's rows.
    Returns how many leads both hold.
    """
    bodies = list(bodies)
    store = SQLiteLeadStore(path)
    try:
        engine = Engine(store=store, clock=_TickingClock(), ids=_CountingIds())
        answers = engine.capture_many(bodies)
        failed = [number for number, answer in enumerate(answers) if isinstance(answer, Failure)]
    finally:
        store.close()
    if failed:
        msg = f"the engine refused body {failed[0]}"
        raise FloorDisagreesError(msg)
    floor = FloorCapture(clock=_TickingClock(), ids=_CountingIds())
    for body in bodies:
        floor.capture(body)
    lead_rows, activity_rows = sql_rows(floor)
    with closing(sqlite3.connect(path)) as conn:
        stored_leads = conn.execute(f"SELECT {LEAD_COLUMNS} FROM leads").fetchall()  # noqa: S608 - constant columns
        stored_activities = conn.execute(f"SELECT {ACTIVITY_COLUMNS} FROM activities").fetchall()  # noqa: S608 - constant columns
    for table, stored, made in (("leads", stored_leads, lead_rows), ("activities", stored_activities, activity_rows)):
        if sorted(stored) != sorted(made):
            differ = [pair for pair in zip(sorted(stored), sorted(made), strict=False) if pair[0] != pair[1]]
            found = differ[0] if differ else (f"{len(stored)} rows", f"{len(made)}")
            msg = f"{table}: the store holds {found[0]}, the floor's rows have {found[1]}"
            raise FloorDisagreesError(msg)
    return len(lead_rows)
