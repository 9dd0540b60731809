"""set identity across sources (set_sources, sets.content_key) and artist aliases

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sets") as batch:
        batch.add_column(sa.Column("content_key", sa.String(length=64), nullable=True))
        batch.create_index("ix_sets_content_key", ["content_key"])
    op.create_table(
        "set_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["set_id"], ["sets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_index("ix_set_sources_set_id", "set_sources", ["set_id"])
    op.create_table(
        "artist_aliases",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["artist_id"], ["artists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("artist_aliases")
    op.drop_index("ix_set_sources_set_id", table_name="set_sources")
    op.drop_table("set_sources")
    with op.batch_alter_table("sets") as batch:
        batch.drop_index("ix_sets_content_key")
        batch.drop_column("content_key")
