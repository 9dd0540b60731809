"""tdmrep.json verdicts per origin, kept as long as robots.txt verdicts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tdmrep_files",
        sa.Column("origin", sa.String(length=512), primary_key=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tdmrep_files")
