"""Key scopes (R-K1) and site keys (R-K3): every key made before keeps all four scopes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ALL_SCOPES = "activity,capture,read,visit"


def upgrade() -> None:
    """Add the scopes, the site flag and the origins; existing keys get every scope and stay secret keys."""
    with op.batch_alter_table("api_keys") as table:
        table.add_column(sa.Column("scopes", sa.String(100), nullable=False, server_default=ALL_SCOPES))
        table.add_column(sa.Column("site", sa.Boolean(), nullable=False, server_default=sa.false()))
        table.add_column(sa.Column("origins", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop the columns `upgrade` added (site keys then become unusable secret keys)."""
    with op.batch_alter_table("api_keys") as table:
        table.drop_column("origins")
        table.drop_column("site")
        table.drop_column("scopes")
