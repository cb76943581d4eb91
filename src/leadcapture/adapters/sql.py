"""What the SQL stores share: the statements, row codecs and the transaction that applies decisions.

Tables are defined once in SQLAlchemy Core (`tables.py`) and created by the migrations. The capture hot
path runs these fixed statements on the DBAPI connection (sqlite3 or psycopg) directly: a capture is a
handful of primary-key reads and writes, and going through SQL compilation for each of them would cost more
than the database work itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol, assert_never

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.core.decision import CaptureDecision, Convert, Create, Reject, Update
from leadcapture.core.match import CandidateQuery, Candidates
from leadcapture.core.records import (
    Account,
    Activity,
    CaptureActivityData,
    IndexEntry,
    Lead,
    Visit,
    Visitor,
    WebVisitData,
)
from leadcapture.ports import StoreConflict

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """A timezone-aware time as integer microseconds since the Unix epoch."""
    return (moment - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The UTC time `micros` microseconds after the Unix epoch."""
    return EPOCH + timedelta(microseconds=micros)


_encode = msgspec.json.Encoder().encode
_fields_decoder: Final = msgspec.json.Decoder(dict[str, str])
_activity_data_decoder: Final = msgspec.json.Decoder(CaptureActivityData | WebVisitData)

LEAD_COLUMNS: Final = "id, fields, created_on, modified_on, last_activity_on, related_company_id, version"


class Cursor(Protocol):
    """The part of a DBAPI cursor the stores use (sqlite3 and psycopg both provide it)."""

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        ...

    def execute(self, sql: Any, params: Sequence[Any] = ..., /) -> Any:
        """Run one statement."""
        ...

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...


def lead_from_row(row: Sequence[Any]) -> Lead:
    """A `leads` row (in `LEAD_COLUMNS` order) as a Lead."""
    return Lead(
        id=row[0],
        fields=_fields_decoder.decode(row[1]),
        created_on=from_micros(row[2]),
        modified_on=from_micros(row[3]),
        last_activity_on=from_micros(row[4]) if row[4] is not None else None,
        related_company_id=row[5],
        version=row[6],
    )


def activity_from_row(row: Sequence[Any]) -> Activity:
    """An `activities` row (id, lead_id, event_code, event_name, created_on, data) as an Activity."""
    return Activity(
        id=row[0],
        lead_id=row[1],
        event_code=row[2],
        event_name=row[3],
        created_on=from_micros(row[4]),
        data=_activity_data_decoder.decode(row[5]),
    )


class Statements:
    """The store's SQL, written once with `?` placeholders and rendered for the driver's style."""

    def __init__(self, placeholder: str) -> None:
        """Render every statement with `placeholder` (`?` for sqlite3, `%s` for psycopg)."""

        def sql(text: str) -> str:
            return text.replace("?", placeholder)

        self.lead_by_id = sql(f"SELECT {LEAD_COLUMNS} FROM leads WHERE id = ?")
        prefixed = ", ".join(f"l.{column.strip()}" for column in LEAD_COLUMNS.split(","))
        self.holders = sql(
            f"SELECT {prefixed} FROM lead_unique_values u JOIN leads l ON l.id = u.lead_id"
            " WHERE u.field = ? AND u.key = ?"
            f" UNION ALL SELECT {prefixed} FROM lead_lookup_values v JOIN leads l ON l.id = v.lead_id"
            " WHERE v.field = ? AND v.key = ? ORDER BY 1",
        )
        self.visitor = sql("SELECT converted FROM visitors WHERE id = ?")
        self.visits = sql(
            "SELECT id, visited_on, page_url, referrer, source FROM visits"
            " WHERE visitor_id = ? ORDER BY visited_on, id",
        )
        self.account_exists = sql("SELECT 1 FROM accounts WHERE id = ?")
        self.unique_entries = sql("SELECT field, key FROM lead_unique_values WHERE lead_id = ? ORDER BY field, key")
        self.lookup_entries = sql("SELECT field, key FROM lead_lookup_values WHERE lead_id = ? ORDER BY field, key")
        self.insert_lead = sql(f"INSERT INTO leads ({LEAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)")
        self.update_lead = sql(
            "UPDATE leads SET fields = ?, modified_on = ?, last_activity_on = ?, related_company_id = ?, version = ?"
            " WHERE id = ? AND version = ?",
        )
        self.insert_unique = sql("INSERT INTO lead_unique_values (field, key, lead_id) VALUES (?, ?, ?)")
        self.delete_unique = sql("DELETE FROM lead_unique_values WHERE field = ? AND key = ? AND lead_id = ?")
        self.insert_lookup = sql("INSERT INTO lead_lookup_values (field, key, lead_id) VALUES (?, ?, ?)")
        self.delete_lookup = sql("DELETE FROM lead_lookup_values WHERE field = ? AND key = ? AND lead_id = ?")
        activity_columns = "id, lead_id, event_code, event_name, created_on, data"
        self.insert_activity = sql(f"INSERT INTO activities ({activity_columns}) VALUES (?, ?, ?, ?, ?, ?)")
        self.insert_activity_if_lead = sql(
            f"INSERT INTO activities ({activity_columns}) SELECT ?, ?, ?, ?, ?, ?"
            " WHERE EXISTS (SELECT 1 FROM leads WHERE id = ?)",
        )
        self.activities = sql(
            f"SELECT {activity_columns} FROM activities WHERE lead_id = ? ORDER BY seq DESC",
        )
        self.convert_visitor = sql("UPDATE visitors SET converted = ? WHERE id = ? AND converted = ?")
        self.upsert_visitor = sql(
            "INSERT INTO visitors (id, converted) VALUES (?, ?)"
            " ON CONFLICT (id) DO UPDATE SET converted = excluded.converted",
        )
        self.delete_visits = sql("DELETE FROM visits WHERE visitor_id = ?")
        self.insert_visit = sql(
            "INSERT INTO visits (id, visitor_id, visited_on, page_url, referrer, source) VALUES (?, ?, ?, ?, ?, ?)",
        )
        self.insert_account = sql(
            "INSERT INTO accounts (id, name, created_on) VALUES (?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        )


class Conflict(Exception):  # noqa: N818 - internal signal, named for what it is
    """Raised inside `SQLTransaction.apply` to roll a decision back to its savepoint."""


class SQLTransaction:
    """Candidate reads and decision writes on one connection inside one database transaction."""

    def __init__(
        self,
        cursor: Cursor,
        statements: Statements,
        *,
        savepoint: Callable[[Callable[[], None]], Result[None, StoreConflict]],
    ) -> None:
        """Work through `cursor`; `savepoint(write)` runs `write` all-or-nothing, mapping conflicts."""
        self._cur = cursor
        self._sql = statements
        self._savepoint = savepoint

    def find_candidates(self, query: CandidateQuery) -> Candidates:
        """The lead or visitor with the ProspectId, the holders of each key, and whether the account exists."""
        cur, sql = self._cur, self._sql
        prospect = None
        visitor = None
        if query.prospect_id:
            prospect = self.get_lead(query.prospect_id)
            if prospect is None:
                visitor = self.get_visitor(query.prospect_id)
        holders = {}
        for field, key in query.keys:
            cur.execute(sql.holders, (field, key, field, key))
            holders[field] = tuple(lead_from_row(row) for row in cur.fetchall())
        known = False
        if query.related_company_id is not None:
            cur.execute(sql.account_exists, (query.related_company_id,))
            known = cur.fetchone() is not None
        return Candidates(prospect=prospect, visitor=visitor, holders=holders, known_account=known)

    def get_lead(self, lead_id: str) -> Lead | None:
        """The lead with this id."""
        self._cur.execute(self._sql.lead_by_id, (lead_id,))
        row = self._cur.fetchone()
        return lead_from_row(row) if row is not None else None

    def get_visitor(self, visitor_id: str) -> Visitor | None:
        """The visitor with this tracking id, with its visits oldest first."""
        cur = self._cur
        cur.execute(self._sql.visitor, (visitor_id,))
        row = cur.fetchone()
        if row is None:
            return None
        cur.execute(self._sql.visits, (visitor_id,))
        visits = tuple(
            Visit(
                id=v[0],
                visited_on=from_micros(v[1]),
                page_url=v[2],
                referrer=v[3],
                source=_fields_decoder.decode(v[4]),
            )
            for v in cur.fetchall()
        )
        return Visitor(id=visitor_id, visits=visits, converted=bool(row[0]))

    def apply(self, decision: CaptureDecision) -> Result[None, StoreConflict]:
        """Write the decision and its activities all or nothing, or refuse it if what it read has changed."""
        return self._savepoint(lambda: self._write(decision))

    def _write(self, decision: CaptureDecision) -> None:
        cur, sql = self._cur, self._sql
        match decision:
            case Create(lead=lead, index=index, activity=activity):
                self._insert_lead(lead, index)
                self._insert_activity(activity)
            case Update():
                self._update(decision)
            case Convert(lead=lead, index=index, activity=activity, visit_activities=visits):
                cur.execute(sql.convert_visitor, (True, lead.id, False))
                if cur.rowcount != 1:
                    raise Conflict(f"visitor {lead.id} is gone or already converted")
                self._insert_lead(lead, index)
                for visit in visits:
                    self._insert_activity(visit)
                self._insert_activity(activity)
            case Reject(activity=activity):
                if activity is not None:
                    cur.execute(sql.insert_activity_if_lead, (*_activity_row(activity), activity.lead_id))
            case _:
                assert_never(decision)

    def _update(self, decision: Update) -> None:
        cur, sql, lead = self._cur, self._sql, decision.lead
        cur.execute(
            sql.update_lead,
            (
                _encode(lead.fields).decode(),
                to_micros(lead.modified_on),
                _micros_or_none(lead.last_activity_on),
                lead.related_company_id,
                lead.version,
                lead.id,
                decision.expected_version,
            ),
        )
        if cur.rowcount != 1:
            raise Conflict(f"lead {lead.id} changed since it was read")
        kept = set(decision.index) & set(decision.previous_index)
        for entry in decision.previous_index:
            if entry not in kept:
                cur.execute(sql.delete_unique if entry.unique else sql.delete_lookup, _entry_row(entry, lead.id))
        self._insert_entries(lead.id, [entry for entry in decision.index if entry not in kept])
        self._insert_activity(decision.activity)

    def _insert_lead(self, lead: Lead, index: tuple[IndexEntry, ...]) -> None:
        self._cur.execute(
            self._sql.insert_lead,
            (
                lead.id,
                _encode(lead.fields).decode(),
                to_micros(lead.created_on),
                to_micros(lead.modified_on),
                _micros_or_none(lead.last_activity_on),
                lead.related_company_id,
                lead.version,
            ),
        )
        self._insert_entries(lead.id, index)

    def _insert_entries(self, lead_id: str, entries: Sequence[IndexEntry]) -> None:
        for entry in entries:
            self._cur.execute(
                self._sql.insert_unique if entry.unique else self._sql.insert_lookup,
                _entry_row(entry, lead_id),
            )

    def _insert_activity(self, activity: Activity) -> None:
        self._cur.execute(self._sql.insert_activity, _activity_row(activity))

    def all_leads(self) -> tuple[Lead, ...]:
        """Every lead, in creation order."""
        self._cur.execute(f"SELECT {LEAD_COLUMNS} FROM leads ORDER BY auto_number")
        return tuple(lead_from_row(row) for row in self._cur.fetchall())

    def index_entries(self, lead_id: str) -> tuple[IndexEntry, ...]:
        """The (field, key) entries indexed for a lead, unique ones first, each group sorted."""
        entries: list[IndexEntry] = []
        for statement, unique in ((self._sql.unique_entries, True), (self._sql.lookup_entries, False)):
            self._cur.execute(statement, (lead_id,))
            entries.extend(IndexEntry(field=row[0], key=row[1], unique=unique) for row in self._cur.fetchall())
        return tuple(entries)

    def find_leads(self, field: str, key: str) -> tuple[Lead, ...]:
        """Leads whose indexed `field` has match key `key`."""
        self._cur.execute(self._sql.holders, (field, key, field, key))
        return tuple(lead_from_row(row) for row in self._cur.fetchall())

    def activities(self, lead_id: str) -> tuple[Activity, ...]:
        """A lead's activities, newest first."""
        self._cur.execute(self._sql.activities, (lead_id,))
        return tuple(activity_from_row(row) for row in self._cur.fetchall())

    def save_visitor(self, visitor: Visitor) -> None:
        """Add or replace a visitor and its visits."""
        cur, sql = self._cur, self._sql
        cur.execute(sql.upsert_visitor, (visitor.id, visitor.converted))
        cur.execute(sql.delete_visits, (visitor.id,))
        for visit in visitor.visits:
            cur.execute(
                sql.insert_visit,
                (
                    visit.id,
                    visitor.id,
                    to_micros(visit.visited_on),
                    visit.page_url,
                    visit.referrer,
                    _encode(visit.source).decode(),
                ),
            )

    def add_account(self, account: Account) -> None:
        """Add an account leads can be linked to."""
        self._cur.execute(self._sql.insert_account, (account.id, account.name, to_micros(account.created_on)))


def _micros_or_none(moment: datetime | None) -> int | None:
    return to_micros(moment) if moment is not None else None


def _entry_row(entry: IndexEntry, lead_id: str) -> tuple[str, str, str]:
    return (entry.field, entry.key, lead_id)


def _activity_row(activity: Activity) -> tuple[str, str, int, str, int, str]:
    return (
        activity.id,
        activity.lead_id,
        activity.event_code,
        activity.event_name,
        to_micros(activity.created_on),
        _encode(activity.data).decode(),
    )


def conflict_from(exc: BaseException) -> Failure[StoreConflict]:
    """A store conflict naming what the database refused."""
    return Failure(StoreConflict(reason=str(exc) or type(exc).__name__))


OK: Final[Result[None, StoreConflict]] = Success(None)
