"""set entry release-group MBID

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries stored before keep NULL: the release groups KEXP gave were not stored then.
    with op.batch_alter_table("set_entries") as batch:
        batch.add_column(sa.Column("release_group_mbid", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("set_entries") as batch:
        batch.drop_column("release_group_mbid")
