"""crawler serve: API keys (hashes only) and crawl jobs started over HTTP

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serve_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "crawl_jobs",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("spider", sa.String(length=100), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("key_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("runner", sa.String(length=200), nullable=True),
        sa.Column("log_path", sa.Text(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_crawl_jobs_status", "crawl_jobs", ["status", "created_at"])
    # The store's last change, read by `crawler serve` for its ETags (PostgreSQL)
    op.create_index("ix_sets_updated_at", "sets", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_sets_updated_at", table_name="sets")
    op.drop_index("ix_crawl_jobs_status", table_name="crawl_jobs")
    op.drop_table("crawl_jobs")
    op.drop_table("serve_keys")
