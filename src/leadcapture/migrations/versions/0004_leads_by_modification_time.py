"""Leads by modification time, for Leads.RecentlyModified and the quick search's order (R-L5, R-L6).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index the leads by (modified_on, id)."""
    op.create_index("ix_leads_modified_on_id", "leads", ["modified_on", "id"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_leads_modified_on_id", table_name="leads")
