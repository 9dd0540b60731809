"""set_sources.merged: a source made by crawler duplicates --merge stays one

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "set_sources" not in sa.inspect(op.get_bind()).get_table_names():
        return  # stamped past 0003 without it: crawler.store.repair runs 0003, then this
    with op.batch_alter_table("set_sources") as batch:
        batch.add_column(
            sa.Column("merged", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("set_sources") as batch:
        batch.drop_column("merged")
