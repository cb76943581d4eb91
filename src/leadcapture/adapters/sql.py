"""What the SQL stores share: the statements, row codecs and the transaction that applies decisions.

Tables are defined once in SQLAlchemy Core (`tables.py`) and created by the migrations. The capture hot
path runs these fixed statements on the DBAPI connection (sqlite3 or psycopg) directly: a capture is a
handful of primary-key reads and writes, and going through SQL compilation for each of them would cost more
than the database work itself (adr/0016).

A capture reads in one statement per kind (the lead with the ProspectId, the holders of all its keys at
once, the account) and writes without a savepoint when it is the transaction's first write: if the
database refuses it, the whole transaction is rolled back and begun again, which leaves exactly what a
savepoint would have left. Batches (`SQLTransaction.batch`) read the rows of many captures in a few
statements and write them with `executemany` (new rows with `COPY` on PostgreSQL); see
`leadcapture.adapters.batch`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Final, Protocol, assert_never

import msgspec
from returns.result import Failure, Result, Success

from leadcapture.adapters.batch import BatchChanges, BatchOverlay, HolderRow
from leadcapture.adapters.dbapi import Cursor, from_micros, to_micros
from leadcapture.adapters.idempotency_sql import find_record, purge_records, save_record
from leadcapture.core.activities import ActivityType, Direction
from leadcapture.core.decision import CaptureDecision, Convert, Create, Reject, Update
from leadcapture.core.match import CandidateQuery, Candidates
from leadcapture.core.names import WEB_VISIT_EVENT_CODE, WEB_VISIT_EVENT_NAME
from leadcapture.core.records import (
    Account,
    Activity,
    CaptureActivityData,
    IndexEntry,
    Lead,
    PostedActivityData,
    Visit,
    Visitor,
    WebVisitData,
)
from leadcapture.core.search import QUICK_SEARCH_PHONE_FIELDS, QUICK_SEARCH_TEXT_FIELDS, ModifiedWindow, QuickSearch
from leadcapture.ports import IdempotencyRecord, StoreConflict

_encode = msgspec.json.Encoder().encode
_fields_decoder: Final = msgspec.json.Decoder(dict[str, str])
_activity_data_decoder: Final = msgspec.json.Decoder(CaptureActivityData | WebVisitData | PostedActivityData)

_FEW_KEYS: Final = 6
"""Up to this many keys, a SQLite capture reads its holders with a union of look-ups (see `holders_of`)."""
LEAD_COLUMNS: Final = "id, fields, created_on, modified_on, last_activity_on, related_company_id, version"
ACTIVITY_COLUMNS: Final = "id, lead_id, event_code, event_name, created_on, data"
VISIT_COLUMNS: Final = "id, visited_on, page_url, referrer, source"


class TransactionControl(Protocol):
    """What differs between the drivers: undoing refused writes, sending statements together, bulk copies."""

    @property
    def conflicts(self) -> tuple[type[BaseException], ...]:
        """The exceptions that mean the database refused a write because the data changed (R-M10)."""
        ...

    def savepoint(self, write: Callable[[], None]) -> Result[None, StoreConflict]:
        """Run `write` all or nothing inside the open transaction, mapping conflicts to a `StoreConflict`."""
        ...

    def restart(self) -> None:
        """Roll the whole transaction back and begin a new one on the same connection."""
        ...

    def cursor(self) -> Cursor:
        """A new cursor on the transaction's connection."""
        ...

    def pipeline(self) -> AbstractContextManager[object]:
        """A block whose statements go to the database together (PostgreSQL); results are read when needed.

        A statement's `rowcount` is known once the block has ended; a refusal may surface only then.
        """
        ...

    def copy(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Load rows with a `COPY ... FROM STDIN` statement (only called where `Statements.copy_of` has one)."""
        ...


def _quick_search_statement(dialect: str) -> str:
    """Leads with a text field containing a pattern (ASCII case ignored) or a phone field containing digits.

    Parameters: the text pattern once per text field, then the digits pattern (NULL when the search is not
    a number) once for the test and once per phone field, then the limit. SQLite's `lower` folds ASCII
    letters only, as `ascii_lower` does; PostgreSQL's `lower` would fold more, so `translate` folds ASCII.
    """

    def value(name: str) -> str:
        if dialect == "sqlite":
            return f"coalesce(json_extract(fields, '$.{name}'), '')"
        return f"coalesce(fields::json ->> '{name}', '')"

    def folded(name: str) -> str:
        if dialect == "sqlite":
            return f"lower({value(name)})"
        return f"translate({value(name)}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

    texts = " OR ".join(f"{folded(name)} LIKE ? ESCAPE '\\'" for name in QUICK_SEARCH_TEXT_FIELDS)
    phones = " OR ".join(
        f"replace(replace({value(name)}, '+', ''), '-', '') LIKE ? ESCAPE '\\'" for name in QUICK_SEARCH_PHONE_FIELDS
    )
    return (
        f"SELECT {LEAD_COLUMNS} FROM leads WHERE {texts} OR (CAST(? AS TEXT) IS NOT NULL AND ({phones}))"
        " ORDER BY modified_on DESC, id DESC LIMIT ?"
    )


def _like_escaped(text: str) -> str:
    """`text` as a LIKE pattern that matches only itself (`\\` escapes `%`, `_` and itself)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def lead_from_row(row: Sequence[Any], offset: int = 0) -> Lead:
    """A `leads` row (in `LEAD_COLUMNS` order, from column `offset`) as a Lead."""
    last_activity = row[offset + 4]
    return Lead(
        id=row[offset],
        fields=_fields_decoder.decode(row[offset + 1]),
        created_on=from_micros(row[offset + 2]),
        modified_on=from_micros(row[offset + 3]),
        last_activity_on=from_micros(last_activity) if last_activity is not None else None,
        related_company_id=row[offset + 5],
        version=row[offset + 6],
    )


def lead_row(lead: Lead) -> tuple[str, str, int, int, int | None, str | None, int]:
    """A Lead as a `leads` row in `LEAD_COLUMNS` order."""
    created = to_micros(lead.created_on)
    modified = created if lead.modified_on is lead.created_on else to_micros(lead.modified_on)
    last = lead.last_activity_on
    return (
        lead.id,
        _encode(lead.fields).decode(),
        created,
        modified,
        None if last is None else (modified if last is lead.modified_on else to_micros(last)),
        lead.related_company_id,
        lead.version,
    )


def lead_update_row(lead: Lead, expected_version: int) -> tuple[str, int, int | None, str | None, int, str, int]:
    """The parameters of `Statements.update_lead` for writing `lead` over version `expected_version`."""
    modified = to_micros(lead.modified_on)
    last = lead.last_activity_on
    return (
        _encode(lead.fields).decode(),
        modified,
        None if last is None else (modified if last is lead.modified_on else to_micros(last)),
        lead.related_company_id,
        lead.version,
        lead.id,
        expected_version,
    )


def activity_from_row(row: Sequence[Any]) -> Activity:
    """An `activities` row (in `ACTIVITY_COLUMNS` order) as an Activity."""
    return Activity(
        id=row[0],
        lead_id=row[1],
        event_code=row[2],
        event_name=row[3],
        created_on=from_micros(row[4]),
        data=_activity_data_decoder.decode(row[5]),
    )


def activity_row(activity: Activity) -> tuple[str, str, int, str, int, str]:
    """An Activity as an `activities` row in `ACTIVITY_COLUMNS` order."""
    return (
        activity.id,
        activity.lead_id,
        activity.event_code,
        activity.event_name,
        to_micros(activity.created_on),
        _encode(activity.data).decode(),
    )


def visit_from_row(row: Sequence[Any], offset: int = 0) -> Visit:
    """A `visits` row (in `VISIT_COLUMNS` order, from column `offset`) as a Visit."""
    return Visit(
        id=row[offset],
        visited_on=from_micros(row[offset + 1]),
        page_url=row[offset + 2],
        referrer=row[offset + 3],
        source=_fields_decoder.decode(row[offset + 4]),
    )


def _web_visit_data(dialect: str) -> str:
    """SQL building, from a `visits v` row, the JSON `WebVisitData` encodes to: its tag, then its fields."""
    config = WebVisitData.__struct_config__
    tag = f"'{config.tag_field}', '{config.tag}'"
    if dialect == "sqlite":
        return f"json_object({tag}, 'page_url', v.page_url, 'referrer', v.referrer, 'source', json(v.source))"
    return f"json_build_object({tag}, 'page_url', v.page_url, 'referrer', v.referrer, 'source', v.source::json)::text"


class Statements:
    """The store's SQL, written once with `?` placeholders and rendered for the driver.

    Statements that take a list (all the keys of a capture, all the ids of a batch) take it as one
    parameter, so that each has one text and stays in the driver's prepared-statement cache: a JSON array
    read with `json_each` on SQLite, an array on PostgreSQL.
    """

    def __init__(self, dialect: str) -> None:
        """Render every statement for `dialect`: `sqlite` (sqlite3, `?`) or `postgresql` (psycopg, `%s`)."""
        if dialect not in ("sqlite", "postgresql"):
            msg = f"unsupported dialect {dialect!r}"
            raise ValueError(msg)
        self.dialect = dialect
        placeholder = "?" if dialect == "sqlite" else "%s"

        def sql(text: str) -> str:
            return text.replace("?", placeholder)

        if dialect == "sqlite":
            keys = "(SELECT json_extract(value, '$[0]') AS field, json_extract(value, '$[1]') AS key FROM json_each(?))"
            ids = "(SELECT value FROM json_each(?))"
        else:
            keys = "(SELECT * FROM unnest(?::text[], ?::text[]) AS k(field, key))"
            ids = "(SELECT unnest(?::text[]))"
        self.lead_by_id = sql(f"SELECT {LEAD_COLUMNS} FROM leads WHERE id = ?")
        self.leads_by_ids = sql(f"SELECT {LEAD_COLUMNS} FROM leads WHERE id IN {ids}")
        prefixed = ", ".join(f"l.{column.strip()}" for column in LEAD_COLUMNS.split(","))
        self.holders = sql(
            f"SELECT {prefixed} FROM lead_unique_values u JOIN leads l ON l.id = u.lead_id"
            " WHERE u.field = ? AND u.key = ?"
            f" UNION ALL SELECT {prefixed} FROM lead_lookup_values v JOIN leads l ON l.id = v.lead_id"
            " WHERE v.field = ? AND v.key = ? ORDER BY 1",
        )
        # Every holder of every listed (field, key) in one statement; the third column tells which table it
        # came from. The join drives primary-key look-ups from the list (SQLite would scan for a row-value IN).
        self.holders_of_keys = sql(
            f"SELECT u.field, u.key, 1 AS is_unique, {prefixed} FROM {keys} k"
            " JOIN lead_unique_values u ON u.field = k.field AND u.key = k.key JOIN leads l ON l.id = u.lead_id"
            f" UNION ALL SELECT v.field, v.key, 0, {prefixed} FROM {keys} k"
            " JOIN lead_lookup_values v ON v.field = k.field AND v.key = k.key JOIN leads l ON l.id = v.lead_id",
        )
        unique_holder = (
            f"SELECT u.field, u.key, 1, {prefixed} FROM lead_unique_values u JOIN leads l ON l.id = u.lead_id"
            " WHERE u.field = ? AND u.key = ?"
        )
        lookup_holder = (
            f"SELECT v.field, v.key, 0, {prefixed} FROM lead_lookup_values v JOIN leads l ON l.id = v.lead_id"
            " WHERE v.field = ? AND v.key = ?"
        )
        self._holders_of_few = {
            count: " UNION ALL ".join([unique_holder] * count + [lookup_holder] * count)
            for count in range(1, _FEW_KEYS + 1)
        }
        self.visitor = sql("SELECT converted FROM visitors WHERE id = ?")
        self.visits = sql(f"SELECT {VISIT_COLUMNS} FROM visits WHERE visitor_id = ? ORDER BY visited_on, id")
        self.visitors_by_ids = sql(f"SELECT id, converted FROM visitors WHERE id IN {ids}")
        self.visits_of_visitors = sql(
            f"SELECT visitor_id, {VISIT_COLUMNS} FROM visits WHERE visitor_id IN {ids}"
            " ORDER BY visitor_id, visited_on, id",
        )
        self.account_exists = sql("SELECT 1 FROM accounts WHERE id = ?")
        self.accounts_by_ids = sql(f"SELECT id FROM accounts WHERE id IN {ids}")
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
        self.insert_activity = sql(f"INSERT INTO activities ({ACTIVITY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)")
        self.insert_activity_if_lead = sql(
            f"INSERT INTO activities ({ACTIVITY_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?"
            " WHERE EXISTS (SELECT 1 FROM leads WHERE id = ?)",
        )
        self.activities = sql(f"SELECT {ACTIVITY_COLUMNS} FROM activities WHERE lead_id = ? ORDER BY seq DESC")
        # Custom activity types, and registering one: a type whose code or case-folded name is taken is not
        # inserted, and the caller decides again (R-L8).
        self.activity_types, self.insert_activity_type = (
            sql("SELECT event_code, name, score, direction FROM activity_types ORDER BY event_code"),
            sql(
                "INSERT INTO activity_types (event_code, name, name_key, score, direction) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
            ),
        )
        self.quick_search = sql(_quick_search_statement(dialect))
        self.count_modified = sql("SELECT count(*) FROM leads WHERE modified_on >= ? AND modified_on < ?")
        self.modified_page = sql(
            f"SELECT {LEAD_COLUMNS} FROM leads WHERE modified_on >= ? AND modified_on < ?"
            " ORDER BY modified_on, id LIMIT ? OFFSET ?",
        )
        self.convert_visitor = sql("UPDATE visitors SET converted = ? WHERE id = ? AND converted = ?")
        # A visitor is saved from a snapshot read before the write, while a capture may convert it and other
        # visits may be recorded: `converted` only ever turns true, and visits are only ever added (adr/0026).
        self.upsert_visitor = sql(
            "INSERT INTO visitors (id, converted) VALUES (?, ?)"
            " ON CONFLICT (id) DO UPDATE SET converted = visitors.converted OR excluded.converted"
            " RETURNING converted",
        )
        # Every stored visit of a visitor whose lead exists, as a web-visit activity of that lead with the
        # visit's id, oldest first, skipping those already posted: what a Convert adds to the visits it
        # carries, and what a visit saved onto a converted visitor adds (adr/0028).
        self.insert_visit_activities = sql(
            f"INSERT INTO activities ({ACTIVITY_COLUMNS})"
            f" SELECT v.id, v.visitor_id, ?, ?, v.visited_on, {_web_visit_data(dialect)} FROM visits v"
            " WHERE v.visitor_id = ? AND EXISTS (SELECT 1 FROM leads l WHERE l.id = v.visitor_id)"
            " ORDER BY v.visited_on, v.id"
            " ON CONFLICT (id) DO NOTHING",
        )
        self.insert_visit = sql(
            "INSERT INTO visits (id, visitor_id, visited_on, page_url, referrer, source) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
        )
        self.insert_account = sql(
            "INSERT INTO accounts (id, name, created_on) VALUES (?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        )
        # PostgreSQL loads a batch's new rows fastest with COPY; the inserts name their COPY twins.
        self.copy_of: dict[str, str] = {}
        if dialect == "postgresql":
            self.copy_of = {
                self.insert_lead: f"COPY leads ({LEAD_COLUMNS}) FROM STDIN",
                self.insert_unique: "COPY lead_unique_values (field, key, lead_id) FROM STDIN",
                self.insert_lookup: "COPY lead_lookup_values (field, key, lead_id) FROM STDIN",
                self.insert_activity: f"COPY activities ({ACTIVITY_COLUMNS}) FROM STDIN",
            }

    def ids_parameters(self, ids: Sequence[str]) -> tuple[str | list[str]]:
        """The parameters of a `..._by_ids` statement for `ids`."""
        if self.dialect == "sqlite":
            return (_encode(list(ids)).decode(),)
        return (list(ids),)

    def holders_of(self, keys: Sequence[tuple[str, str]]) -> tuple[str, Sequence[Any]]:
        """The statement and parameters reading the holders of a capture's few keys (rows as `holders_of_keys`).

        SQLite runs a union of primary-key look-ups, one statement text per number of keys, faster than
        reading a JSON list for a handful of keys; PostgreSQL takes the keys as arrays.
        """
        if self.dialect == "sqlite" and len(keys) <= _FEW_KEYS:
            flat = [part for key in keys for part in key]
            return self._holders_of_few[len(keys)], flat + flat
        return self.holders_of_keys, self.keys_parameters(keys)

    def keys_parameters(self, keys: Sequence[tuple[str, str]]) -> tuple[str | list[str], ...]:
        """The parameters of `holders_of_keys` for (field, key) pairs."""
        if self.dialect == "sqlite":
            text = _encode(keys).decode()
            return (text, text)
        fields = [field for field, _ in keys]
        values = [key for _, key in keys]
        return (fields, values, fields, values)


class Conflict(Exception):  # noqa: N818 - internal signal, named for what it is
    """Raised inside `SQLTransaction.apply` to roll a decision back: what it read has changed."""


class SQLTransaction:
    """Candidate reads and decision writes on one connection inside one database transaction."""

    def __init__(self, cursor: Cursor, statements: Statements, *, control: TransactionControl) -> None:
        """Work through `cursor`; `control` undoes a refused write (a savepoint, or a restart if it is the first)."""
        self._cur = cursor
        self._sql = statements
        self._control = control
        self._dirty = False
        """Whether this transaction has written anything yet; until then a refused write restarts it."""

    def find_candidates(self, query: CandidateQuery) -> Candidates:
        """The lead or visitor with the ProspectId, the holders of each key, and whether the account exists.

        The look-ups go to the database together; a visitor is looked up only when no lead has the id.
        """
        sql, control = self._sql, self._control
        prospect_cursor = holders_cursor = account_cursor = None
        with control.pipeline():
            if query.prospect_id:
                prospect_cursor = control.cursor()
                prospect_cursor.execute(sql.lead_by_id, (query.prospect_id,))
            if query.keys:
                holders_cursor = control.cursor()
                holders_cursor.execute(*sql.holders_of(query.keys))
            if query.related_company_id is not None:
                account_cursor = control.cursor()
                account_cursor.execute(sql.account_exists, (query.related_company_id,))
            row = prospect_cursor.fetchone() if prospect_cursor is not None else None
            prospect = lead_from_row(row) if row is not None else None
            holders: dict[str, tuple[Lead, ...]] = {}
            if holders_cursor is not None:
                holders = _group_holders(query.keys, holders_cursor.fetchall())
            known = account_cursor is not None and account_cursor.fetchone() is not None
        visitor = self.get_visitor(query.prospect_id) if query.prospect_id and prospect is None else None
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
        visits = tuple(visit_from_row(v) for v in cur.fetchall())
        return Visitor(id=visitor_id, visits=visits, converted=bool(row[0]))

    def apply(self, decision: CaptureDecision) -> Result[None, StoreConflict]:
        """Write the decision and its activities all or nothing, or refuse it if what it read has changed."""
        return self._atomically(lambda: self._write(decision))

    def _atomically(self, write: Callable[[], None]) -> Result[None, StoreConflict]:
        if self._dirty:
            return self._control.savepoint(write)
        try:
            write()
        except self._control.conflicts as exc:
            # Nothing else was written in this transaction: starting it again undoes exactly this write.
            self._control.restart()
            return conflict_from(exc)
        self._dirty = True
        return OK

    def _write(self, decision: CaptureDecision) -> None:
        sql, control = self._sql, self._control
        # Compare-and-set statements run on their own cursors, checked once every statement has run.
        checks: list[tuple[Cursor, str]] = []
        with control.pipeline():
            match decision:
                case Create(lead=lead, index=index, activity=activity):
                    self._insert_lead(lead, index)
                    self._insert_activity(activity)
                case Update():
                    checks.append(self._update(decision))
                case Convert(lead=lead, index=index, activity=activity, visit_activities=visits):
                    convert = control.cursor()
                    convert.execute(sql.convert_visitor, (True, lead.id, False))
                    checks.append((convert, f"visitor {lead.id} is gone or already converted"))
                    self._insert_lead(lead, index)
                    for visit in visits:
                        self._insert_activity(visit)
                    # After the visitor row is locked by the conversion: visits saved since the decision
                    # read the visitor are committed and seen here, later ones see it converted (adr/0028).
                    self._insert_visit_activities(lead.id)
                    self._insert_activity(activity)
                case Reject(activity=activity):
                    if activity is not None:
                        self._cur.execute(sql.insert_activity_if_lead, (*activity_row(activity), activity.lead_id))
                case _:
                    assert_never(decision)
        for cursor, stale in checks:
            if cursor.rowcount != 1:
                raise Conflict(stale)

    def _update(self, decision: Update) -> tuple[Cursor, str]:
        cur, sql, lead = self._cur, self._sql, decision.lead
        update = self._control.cursor()
        update.execute(sql.update_lead, lead_update_row(lead, decision.expected_version))
        kept = set(decision.index) & set(decision.previous_index)
        for entry in decision.previous_index:
            if entry not in kept:
                cur.execute(sql.delete_unique if entry.unique else sql.delete_lookup, _entry_row(entry, lead.id))
        self._insert_entries(lead.id, [entry for entry in decision.index if entry not in kept])
        self._insert_activity(decision.activity)
        return update, f"lead {lead.id} changed since it was read"

    def _insert_lead(self, lead: Lead, index: tuple[IndexEntry, ...]) -> None:
        self._cur.execute(self._sql.insert_lead, lead_row(lead))
        self._insert_entries(lead.id, index)

    def _insert_entries(self, lead_id: str, entries: Sequence[IndexEntry]) -> None:
        for entry in entries:
            self._cur.execute(
                self._sql.insert_unique if entry.unique else self._sql.insert_lookup,
                _entry_row(entry, lead_id),
            )

    def _insert_activity(self, activity: Activity | None) -> None:
        if activity is not None:  # the lead-management calls post no activity (R-L1..R-L4)
            self._cur.execute(self._sql.insert_activity, activity_row(activity))

    def _insert_visit_activities(self, visitor_id: str) -> None:
        """Post the visitor's stored visits not yet on its lead there, if the lead exists (adr/0028)."""
        self._cur.execute(self._sql.insert_visit_activities, (WEB_VISIT_EVENT_CODE, WEB_VISIT_EVENT_NAME, visitor_id))

    # Batches: bulk reads for the overlay, and one bulk write of what the batch decided.

    def batch(self, queries: Sequence[CandidateQuery]) -> BatchOverlay:
        """A scope for deciding many captures in memory, preloaded with what `queries` will read.

        Decisions applied to it are checked as this database would check them and written only by its
        `flush`, with a few `executemany` statements; a later capture in the batch sees earlier ones.
        """
        overlay = BatchOverlay(self)
        overlay.preload(queries)
        return overlay

    def dry_run_scope(self) -> BatchOverlay:
        """An empty image of this transaction for a whole dry run: preloaded batch by batch, never written.

        It keeps no activities, which no decision reads (adr/0058).
        """
        return BatchOverlay(self, activities=False)

    def load_leads(self, ids: Sequence[str]) -> list[Lead]:
        """The leads with these ids (those that exist)."""
        self._cur.execute(self._sql.leads_by_ids, self._sql.ids_parameters(ids))
        return [lead_from_row(row) for row in self._cur.fetchall()]

    def load_holders(self, keys: Sequence[tuple[str, str]]) -> list[HolderRow]:
        """Every unique and lookup entry with one of these (field, key) pairs, with the lead holding it."""
        self._cur.execute(self._sql.holders_of_keys, self._sql.keys_parameters(keys))
        return _holder_rows(self._cur.fetchall())

    def load_visitors(self, ids: Sequence[str]) -> list[Visitor]:
        """The visitors with these tracking ids (those that exist), with their visits oldest first."""
        cur, sql = self._cur, self._sql
        cur.execute(sql.visitors_by_ids, sql.ids_parameters(ids))
        converted = {row[0]: bool(row[1]) for row in cur.fetchall()}
        if not converted:
            return []
        visits: dict[str, list[Visit]] = {visitor_id: [] for visitor_id in converted}
        cur.execute(sql.visits_of_visitors, sql.ids_parameters(list(converted)))
        for row in cur.fetchall():
            visits[row[0]].append(visit_from_row(row, 1))
        return [Visitor(id=i, visits=tuple(visits[i]), converted=flag) for i, flag in converted.items()]

    def load_accounts(self, ids: Sequence[str]) -> set[str]:
        """Which of these account ids exist."""
        self._cur.execute(self._sql.accounts_by_ids, self._sql.ids_parameters(ids))
        return {row[0] for row in self._cur.fetchall()}

    def write_batch(self, changes: BatchChanges) -> Result[None, StoreConflict]:
        """Write what a batch decided, all or nothing; refuse it if another writer got in between."""
        return self._atomically(lambda: self._write_batch(changes))

    def _write_batch(self, changes: BatchChanges) -> None:
        sql = self._sql
        # Entries go before the leads they no longer belong to are rewritten and after new leads exist;
        # compare-and-set statements must change one row each.
        steps: list[tuple[str, Sequence[Sequence[Any]], str | None]] = [
            (sql.delete_unique, changes.unique_deletes, None),
            (sql.delete_lookup, changes.lookup_deletes, None),
            (sql.insert_lead, [lead_row(lead) for lead in changes.new_leads], None),
            (
                sql.update_lead,
                [lead_update_row(lead, version) for lead, version in changes.updated_leads],
                "a lead of the batch changed since it was read",
            ),
            (
                sql.convert_visitor,
                [(True, visitor_id, False) for visitor_id in changes.converted_visitors],
                "a visitor of the batch is gone or already converted",
            ),
            (sql.insert_unique, changes.unique_inserts, None),
            (sql.insert_lookup, changes.lookup_inserts, None),
            (sql.insert_activity, [activity_row(activity) for activity in changes.activities], None),
            # Visits saved onto a converted visitor since the batch read it (adr/0028).
            (
                sql.insert_visit_activities,
                [(WEB_VISIT_EVENT_CODE, WEB_VISIT_EVENT_NAME, visitor_id) for visitor_id in changes.converted_visitors]
                if changes.post_activities
                else [],
                None,
            ),
        ]
        for statement, rows, stale in steps:
            if not rows:
                continue
            copy = sql.copy_of.get(statement)
            if copy is not None:
                self._control.copy(copy, rows)
                continue
            self._cur.executemany(statement, rows)
            if stale is not None and self._cur.rowcount != len(rows):
                raise Conflict(stale)

    # Reads outside the capture path.

    def all_leads(self) -> tuple[Lead, ...]:
        """Every lead, in creation order."""
        self._cur.execute(f"SELECT {LEAD_COLUMNS} FROM leads ORDER BY auto_number")
        return tuple(lead_from_row(row) for row in self._cur.fetchall())

    def quick_search(self, search: QuickSearch, limit: int) -> tuple[Lead, ...]:
        """Up to `limit` leads answering `search` (R-L5), the most recently modified first."""
        text = f"%{_like_escaped(search.text)}%"
        digits = f"%{_like_escaped(search.digits)}%" if search.digits is not None else None
        parameters = [text] * len(QUICK_SEARCH_TEXT_FIELDS) + [digits] * (1 + len(QUICK_SEARCH_PHONE_FIELDS))
        self._cur.execute(self._sql.quick_search, (*parameters, limit))
        return tuple(lead_from_row(row) for row in self._cur.fetchall())

    def leads_by_ids(self, lead_ids: Sequence[str]) -> tuple[Lead, ...]:
        """The leads with these ids, in the order asked, each once; ids of no lead are left out."""
        wanted = list(dict.fromkeys(lead_id.lower() for lead_id in lead_ids))
        if not wanted:
            return ()
        self._cur.execute(self._sql.leads_by_ids, self._sql.ids_parameters(wanted))
        found = {lead.id: lead for lead in (lead_from_row(row) for row in self._cur.fetchall())}
        return tuple(found[lead_id] for lead_id in wanted if lead_id in found)

    def modified_leads(self, window: ModifiedWindow) -> tuple[int, tuple[Lead, ...]]:
        """How many leads were modified within `window`'s range, and its page of them (R-L6)."""
        bounds = (to_micros(window.start), to_micros(window.end))
        self._cur.execute(self._sql.count_modified, bounds)
        (count,) = self._cur.fetchone()
        self._cur.execute(self._sql.modified_page, (*bounds, window.limit, window.offset))
        return int(count), tuple(lead_from_row(row) for row in self._cur.fetchall())

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

    def post_activity(self, activity: Activity) -> bool:
        """Add an activity to its lead's history; False (and nothing written) if there is no such lead."""
        self._cur.execute(self._sql.insert_activity_if_lead, (*activity_row(activity), activity.lead_id))
        return self._cur.rowcount == 1

    def activity_types(self) -> tuple[ActivityType, ...]:
        """The custom activity types, by event code."""
        self._cur.execute(self._sql.activity_types)
        return tuple(
            ActivityType(event_code=row[0], name=row[1], score=row[2], direction=Direction(row[3]))
            for row in self._cur.fetchall()
        )

    def add_activity_type(self, kind: ActivityType) -> bool:
        """Register a custom activity type; False, writing nothing, if its code or case-folded name is taken."""
        row = (kind.event_code, kind.name, kind.name.casefold(), kind.score, int(kind.direction))
        self._cur.execute(self._sql.insert_activity_type, row)
        self._dirty = True
        return self._cur.rowcount == 1

    def save_visitor(self, visitor: Visitor) -> bool:
        """Add a visitor, or merge it into the stored one: its new visits are added, a conversion is kept.

        Nothing stored is taken away, so saving a snapshot read before another transaction converted the
        visitor or recorded a visit keeps both (adr/0026). If the stored visitor is converted, its visits
        not yet on its lead are posted there (adr/0028). True if it is converted.
        """
        cur, sql = self._cur, self._sql
        cur.execute(sql.upsert_visitor, (visitor.id, visitor.converted))
        # The upsert locks the visitor row until commit (PostgreSQL; SQLite holds its write lock), so a
        # conversion is either committed and seen here, or waits and then sees this save's visits.
        (converted,) = cur.fetchone()
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
        if converted:
            self._insert_visit_activities(visitor.id)
        return bool(converted)

    def add_account(self, account: Account) -> None:
        """Add an account leads can be linked to."""
        self._cur.execute(self._sql.insert_account, (account.id, account.name, to_micros(account.created_on)))

    # Beside the capture: idempotency records and the async inbox share the transaction's connection.

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`: which SQL the transaction's connection speaks."""
        return self._sql.dialect

    def raw_cursor(self) -> Cursor:
        """A new cursor on this transaction's connection, for statements written elsewhere."""
        return self._control.cursor()

    def hold(self) -> None:
        """Keep what this transaction has read or locked so far: a refused write then undoes only itself.

        Until something is written, a refused write rolls the whole transaction back and begins it again,
        which would also drop row locks taken before (an inbox claim).
        """
        self._dirty = True

    def idempotency_record(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The record of this key, expired or not."""
        return find_record(self._cur, self._sql.dialect, scope, key)

    def save_idempotency_record(self, record: IdempotencyRecord) -> bool:
        """Record an answer unless a live record holds the key (then False); an expired one is replaced."""
        saved = save_record(self._cur, self._sql.dialect, record)
        self._dirty = True
        return saved

    def purge_idempotency_records(self, before: datetime) -> int:
        """Delete records that expired at or before `before`; how many went."""
        return purge_records(self._cur, self._sql.dialect, to_micros(before))


def _lead_id(lead: Lead) -> str:
    return lead.id


def _group_holders(keys: Sequence[tuple[str, str]], rows: list[Any]) -> dict[str, tuple[Lead, ...]]:
    """Holder rows grouped by field, each group in lead id order (an empty tuple for a field nobody holds)."""
    if not rows:
        return {field: () for field, _ in keys}
    found: dict[str, list[Lead]] = {field: [] for field, _ in keys}
    for holder in _holder_rows(rows):
        found[holder.field].append(holder.lead)
    return {field: tuple(sorted(leads, key=_lead_id)) for field, leads in found.items()}


def _holder_rows(rows: Iterable[Sequence[Any]]) -> list[HolderRow]:
    """`holders_of_keys` rows as HolderRows, decoding each lead once."""
    decoded: dict[str, Lead] = {}
    holders = []
    for row in rows:
        lead = decoded.get(row[3])
        if lead is None:
            lead = decoded[row[3]] = lead_from_row(row, 3)
        holders.append(HolderRow(field=row[0], key=row[1], unique=bool(row[2]), lead=lead))
    return holders


def _entry_row(entry: IndexEntry, lead_id: str) -> tuple[str, str, str]:
    return (entry.field, entry.key, lead_id)


def conflict_from(exc: BaseException) -> Failure[StoreConflict]:
    """A store conflict naming what the database refused."""
    return Failure(StoreConflict(reason=str(exc) or type(exc).__name__))


OK: Final[Result[None, StoreConflict]] = Success(None)
