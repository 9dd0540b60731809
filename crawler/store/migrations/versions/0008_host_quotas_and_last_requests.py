"""Daily request counts of sites with a quota, and each host's last request

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "host_quota_days",
        sa.Column("domain", sa.String(length=255), primary_key=True),
        sa.Column("day", sa.String(length=10), primary_key=True),
        sa.Column("used", sa.Integer(), nullable=False),
    )
    op.create_table(
        "host_last_requests",
        sa.Column("host", sa.String(length=255), primary_key=True),
        sa.Column("sent_at", sa.Float(), nullable=False),
        sa.Column("done_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("host_last_requests")
    op.drop_table("host_quota_days")
