"""Stores stamped with a revision whose work never ran in them, repaired when opened.

Revision 0003 was put into the chain (0002 -> 0003 -> 0004) after 0004 had already been
released following 0002. A store made in between is stamped 0004 without 0003's tables;
Alembic then takes it to the newest revision and 0003 never runs ("no such table:
artist_aliases" at the next crawl). Each revision here names what it leaves in a store;
a store stamped past a revision whose marks are missing gets that revision's own
``upgrade()`` run now, in chain order, in the opening transaction. The chain is only ever
appended to since (crawler/store/migrations/README.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Connection, inspect

__all__ = ["MARKS", "missing_revisions", "repair"]

logger = logging.getLogger(__name__)

MARKS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "0002": (("page_links", None), ("crawl_locks", None)),
    "0003": (("sets", "content_key"), ("set_sources", None), ("artist_aliases", None)),
    "0004": (("search_sets", None), ("search_tracks", None), ("search_artists", None)),
    "0005": (("tracks", "mbid"), ("set_entries", "recording_mbid"), ("sets", "label")),
    "0006": (("crawl_runs", "outcome"),),
    "0007": (("tdmrep_files", None),),
    "0016": (("set_sources", "merged"),),  # skipped where 0003's table was missing
}
"""Revision -> (table, column or None for the table itself) it adds."""


def missing_revisions(conn: Connection, stamped: str | None) -> list[str]:
    """Revisions up to ``stamped`` whose tables or columns this store lacks, in order."""
    if stamped is None:
        return []
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    columns: dict[str, set[str]] = {}

    def present(table: str, column: str | None) -> bool:
        if table not in tables:
            return False
        if column is None:
            return True
        if table not in columns:
            columns[table] = {c["name"] for c in inspector.get_columns(table)}
        return column in columns[table]

    return [
        revision
        for revision, marks in MARKS.items()
        if revision <= stamped and not all(present(t, c) for t, c in marks)
    ]


def repair(conn: Connection, folder: Path, revisions: list[str]) -> None:
    """Run the ``upgrade()`` of each of ``revisions`` on ``conn`` (scripts in ``folder``)."""
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(folder))
    scripts = ScriptDirectory.from_config(config)
    context = MigrationContext.configure(
        conn, opts={"render_as_batch": conn.dialect.name == "sqlite"}
    )
    with Operations.context(context):
        for revision in revisions:
            script = scripts.get_revision(revision)
            assert script is not None
            logger.warning(
                "The store was stamped past revision %s without it: applying %s (%s) now",
                revision,
                revision,
                script.doc,
            )
            script.module.upgrade()
