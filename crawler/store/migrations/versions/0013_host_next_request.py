"""host last request: the earliest start of the next one

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 13:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before keep 0: the next run knew only their times, as before.
    with op.batch_alter_table("host_last_requests") as batch:
        batch.add_column(sa.Column("next_at", sa.Float(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("host_last_requests") as batch:
        batch.drop_column("next_at")
