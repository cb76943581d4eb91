"""Custom activity types, registered with ProspectActivity.svc/CreateType (R-L8).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the activity_types table."""
    op.create_table(
        "activity_types",
        sa.Column("event_code", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("direction", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("event_code"),
        sa.UniqueConstraint("name_key"),
    )


def downgrade() -> None:
    """Drop the activity_types table."""
    op.drop_table("activity_types")
