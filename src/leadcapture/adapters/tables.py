"""The one table definition every SQL store uses (SQLAlchemy Core), and the migrations' target.

Times are stored as integer microseconds since the Unix epoch (UTC) in every database: exact, portable,
cheap to index and to compare. Field maps and activity data are JSON text.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata: Final = MetaData()

GUID = String(36)
_AUTO_NUMBER = BigInteger().with_variant(Integer(), "sqlite")

leads: Final = Table(
    "leads",
    metadata,
    # An integer primary key keeps SQLite rows in insertion order (its rowid) and gives the auto number.
    Column("auto_number", _AUTO_NUMBER, primary_key=True, autoincrement=True),
    Column("id", GUID, nullable=False, unique=True),
    Column("fields", Text, nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("modified_on", BigInteger, nullable=False),
    Column("last_activity_on", BigInteger, nullable=True),
    Column("related_company_id", GUID, nullable=True),
    Column("version", Integer, nullable=False),
    # Leads.RecentlyModified pages by (modified_on, id); quick search answers the most recent first (R-L5, R-L6).
    Index("ix_leads_modified_on_id", "modified_on", "id"),
)

lead_unique_values: Final = Table(
    "lead_unique_values",
    metadata,
    # The primary key is the uniqueness guarantee: one holder per (field, normalised value) (R-U2, R-M10).
    Column("field", String(100), primary_key=True),
    Column("key", String(1000), primary_key=True),
    Column("lead_id", GUID, ForeignKey("leads.id"), nullable=False),
    Index("ix_lead_unique_values_lead_id", "lead_id"),
)

lead_lookup_values: Final = Table(
    "lead_lookup_values",
    metadata,
    # Searchable values of fields that are not unique (a Phone made non-unique by config, say).
    Column("field", String(100), primary_key=True),
    Column("key", String(1000), primary_key=True),
    Column("lead_id", GUID, ForeignKey("leads.id"), primary_key=True),
    Index("ix_lead_lookup_values_lead_id", "lead_id"),
)

activities: Final = Table(
    "activities",
    metadata,
    # Insertion order is history order: `seq` orders a lead's activities newest first.
    Column("seq", _AUTO_NUMBER, primary_key=True, autoincrement=True),
    Column("id", GUID, nullable=False, unique=True),
    Column("lead_id", GUID, ForeignKey("leads.id"), nullable=False),
    Column("event_code", Integer, nullable=False),
    Column("event_name", String(100), nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_activities_lead_id_seq", "lead_id", "seq"),
)

activity_types: Final = Table(
    "activity_types",
    metadata,
    # Custom types only (codes from 201, R-L8): the built-in ones are constants of the core.
    Column("event_code", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    # The case-folded name: two types may not differ only in case.
    Column("name_key", String(100), nullable=False, unique=True),
    Column("score", Integer, nullable=False),
    Column("direction", Integer, nullable=False),
)

visitors: Final = Table(
    "visitors",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("converted", Boolean, nullable=False),
)

visits: Final = Table(
    "visits",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("visitor_id", GUID, ForeignKey("visitors.id"), nullable=False),
    Column("visited_on", BigInteger, nullable=False),
    Column("page_url", Text, nullable=False),
    Column("referrer", Text, nullable=True),
    Column("source", Text, nullable=False),
    Index("ix_visits_visitor_id_visited_on", "visitor_id", "visited_on"),
)

accounts: Final = Table(
    "accounts",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_on", BigInteger, nullable=False),
)

api_keys: Final = Table(
    "api_keys",
    metadata,
    Column("access_key", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(200), nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("revoked_on", BigInteger, nullable=True),
    # R-K1: comma-separated scope names; keys made before scopes existed have all four (migration 0003).
    Column("scopes", String(100), nullable=False),
    # R-K3: a site key has no secret (secret_hash is empty) and the origins it is good for, one per line.
    Column("site", Boolean, nullable=False),
    Column("origins", Text, nullable=False),
)

idempotency_records: Final = Table(
    "idempotency_records",
    metadata,
    # One answer per (scope, key): the scope names the endpoint and the access key that sent it.
    Column("scope", String(200), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_on", BigInteger, nullable=False),
    Column("expires_on", BigInteger, nullable=False),
    Index("ix_idempotency_records_expires_on", "expires_on"),
)

capture_inbox: Final = Table(
    "capture_inbox",
    metadata,
    # `seq` is the order of acceptance, which requests sharing an identifier are applied in (R-Q4).
    Column("seq", _AUTO_NUMBER, primary_key=True, autoincrement=True),
    Column("request_id", GUID, nullable=False, unique=True),
    # Only the access key that sent a request may read its status.
    Column("access_key", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("behavior", String(100), nullable=True),
    Column("status", String(20), nullable=False),
    Column("status_reason", Text, nullable=True),
    Column("message", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("accepted_on", BigInteger, nullable=False),
    Column("next_attempt_on", BigInteger, nullable=True),
    Column("finished_on", BigInteger, nullable=True),
    # Pending requests by due time; finished ones by when they finished, for the purge.
    Index("ix_capture_inbox_next_attempt_on", "next_attempt_on"),
    Index("ix_capture_inbox_finished_on", "finished_on"),
)

capture_inbox_identifiers: Final = Table(
    "capture_inbox_identifiers",
    metadata,
    # The identifiers (email, phone, ProspectId match keys) of each request still pending: a request waits
    # while an earlier pending one shares any of them (R-Q4). Rows go when their request finishes.
    Column("identifier", String(1100), primary_key=True),
    Column("seq", _AUTO_NUMBER, ForeignKey("capture_inbox.seq"), primary_key=True),
    Index("ix_capture_inbox_identifiers_seq", "seq"),
)
