"""crawl_jobs.server: which server's crawl settings a job was accepted under; a SQLite
store's application_id, so that a store is known from its file's header

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


STORE_APPLICATION_ID = 0x544C4331  # "TLC1": crawler.store.db.STORE_APPLICATION_ID


def upgrade() -> None:
    with op.batch_alter_table("crawl_jobs") as batch:
        batch.add_column(sa.Column("server", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA application_id = {STORE_APPLICATION_ID}")


def downgrade() -> None:
    with op.batch_alter_table("crawl_jobs") as batch:
        batch.drop_column("server")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA application_id = 0")
