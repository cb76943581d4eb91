"""The async capture inbox (R-Q1..R-Q6) and the records of idempotency keys (R-Q5, Lead.Capture).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_GUID = sa.String(36)
_AUTO_NUMBER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the idempotency records, the inbox and the inbox's identifiers."""
    op.create_table(
        "idempotency_records",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_on", sa.BigInteger(), nullable=False),
        sa.Column("expires_on", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_idempotency_records_expires_on", "idempotency_records", ["expires_on"])
    op.create_table(
        "capture_inbox",
        sa.Column("seq", _AUTO_NUMBER, primary_key=True, autoincrement=True),
        sa.Column("request_id", _GUID, nullable=False),
        sa.Column("access_key", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("behavior", sa.String(100), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("accepted_on", sa.BigInteger(), nullable=False),
        sa.Column("next_attempt_on", sa.BigInteger(), nullable=True),
        sa.Column("finished_on", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_capture_inbox_next_attempt_on", "capture_inbox", ["next_attempt_on"])
    op.create_index("ix_capture_inbox_finished_on", "capture_inbox", ["finished_on"])
    op.create_table(
        "capture_inbox_identifiers",
        sa.Column("identifier", sa.String(1100), primary_key=True),
        sa.Column("seq", _AUTO_NUMBER, sa.ForeignKey("capture_inbox.seq"), primary_key=True),
    )
    op.create_index("ix_capture_inbox_identifiers_seq", "capture_inbox_identifiers", ["seq"])


def downgrade() -> None:
    """Drop what `upgrade` created."""
    op.drop_table("capture_inbox_identifiers")
    op.drop_table("capture_inbox")
    op.drop_table("idempotency_records")
