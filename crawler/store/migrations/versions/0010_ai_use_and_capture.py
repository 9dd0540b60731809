"""AI-use preferences kept with sets and pages; the capture date of archived sets

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable): no table is rebuilt, on SQLite neither.
    op.add_column("sets", sa.Column("ai_use", sa.JSON(), nullable=True))
    op.add_column("sets", sa.Column("captured_at", sa.DateTime(), nullable=True))
    op.add_column("pages", sa.Column("ai_use", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("ai_use")
    with op.batch_alter_table("sets") as batch:
        batch.drop_column("captured_at")
        batch.drop_column("ai_use")
