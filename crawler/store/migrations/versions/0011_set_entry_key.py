"""set entry musical key

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries stored before keep NULL: their sources gave no key, or it stayed in the title.
    with op.batch_alter_table("set_entries") as batch:
        batch.add_column(sa.Column("key", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("set_entries") as batch:
        batch.drop_column("key")
