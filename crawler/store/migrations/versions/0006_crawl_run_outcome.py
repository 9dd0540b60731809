"""crawl run outcome (ok, partial, failed, refused)

Revision ID: 0006
Revises: 0002
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows of earlier runs keep NULL: their outcome was never judged.
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("outcome")
