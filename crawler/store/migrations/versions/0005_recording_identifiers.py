"""recording identifiers: MBIDs, ISRCs, track lengths, enrichment scores; set labels

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-01 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracks") as batch:
        batch.add_column(sa.Column("mbid", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("isrcs", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("duration_s", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("mbid_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("mbid_matched_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("mbid_checked_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_tracks_mbid", ["mbid"])
    with op.batch_alter_table("set_entries") as batch:
        batch.add_column(sa.Column("recording_mbid", sa.String(length=36), nullable=True))
    with op.batch_alter_table("sets") as batch:
        batch.add_column(sa.Column("label", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sets") as batch:
        batch.drop_column("label")
    with op.batch_alter_table("set_entries") as batch:
        batch.drop_column("recording_mbid")
    with op.batch_alter_table("tracks") as batch:
        batch.drop_index("ix_tracks_mbid")
        for column in (
            "mbid_checked_at",
            "mbid_matched_at",
            "mbid_score",
            "duration_s",
            "isrcs",
            "mbid",
        ):
            batch.drop_column(column)
