"""The initial tables: leads, unique and lookup values, activities, visitors, visits, accounts, API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_GUID = sa.String(36)
_AUTO_NUMBER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "leads",
        sa.Column("auto_number", _AUTO_NUMBER, primary_key=True, autoincrement=True),
        sa.Column("id", _GUID, nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created_on", sa.BigInteger(), nullable=False),
        sa.Column("modified_on", sa.BigInteger(), nullable=False),
        sa.Column("last_activity_on", sa.BigInteger(), nullable=True),
        sa.Column("related_company_id", _GUID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("id"),
    )
    op.create_table(
        "lead_unique_values",
        sa.Column("field", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(1000), primary_key=True),
        sa.Column("lead_id", _GUID, sa.ForeignKey("leads.id"), nullable=False),
    )
    op.create_index("ix_lead_unique_values_lead_id", "lead_unique_values", ["lead_id"])
    op.create_table(
        "lead_lookup_values",
        sa.Column("field", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(1000), primary_key=True),
        sa.Column("lead_id", _GUID, sa.ForeignKey("leads.id"), primary_key=True),
    )
    op.create_index("ix_lead_lookup_values_lead_id", "lead_lookup_values", ["lead_id"])
    op.create_table(
        "activities",
        sa.Column("seq", _AUTO_NUMBER, primary_key=True, autoincrement=True),
        sa.Column("id", _GUID, nullable=False),
        sa.Column("lead_id", _GUID, sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("event_code", sa.Integer(), nullable=False),
        sa.Column("event_name", sa.String(100), nullable=False),
        sa.Column("created_on", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_activities_lead_id_seq", "activities", ["lead_id", "seq"])
    op.create_table(
        "visitors",
        sa.Column("id", _GUID, primary_key=True),
        sa.Column("converted", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "visits",
        sa.Column("id", _GUID, primary_key=True),
        sa.Column("visitor_id", _GUID, sa.ForeignKey("visitors.id"), nullable=False),
        sa.Column("visited_on", sa.BigInteger(), nullable=False),
        sa.Column("page_url", sa.Text(), nullable=False),
        sa.Column("referrer", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
    )
    op.create_index("ix_visits_visitor_id_visited_on", "visits", ["visitor_id", "visited_on"])
    op.create_table(
        "accounts",
        sa.Column("id", _GUID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_on", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("access_key", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(200), nullable=False),
        sa.Column("created_on", sa.BigInteger(), nullable=False),
        sa.Column("revoked_on", sa.BigInteger(), nullable=True),
    )


def downgrade() -> None:
    """Drop every table."""
    for table in (
        "api_keys",
        "accounts",
        "visits",
        "visitors",
        "activities",
        "lead_lookup_values",
        "lead_unique_values",
        "leads",
    ):
        op.drop_table(table)
