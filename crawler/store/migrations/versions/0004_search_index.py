"""full-text search index over sets, tracks and artists (kept in step by triggers)

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01 10:00:00

Three index tables, one row per set, track and artist, filled from the rows already
stored and kept in step by database triggers, so that every writer (the store pipeline,
``crawler duplicates --merge``, a hand-run SQL statement) keeps the index right:

- SQLite: FTS5 tables ``search_sets``, ``search_tracks``, ``search_artists`` (rowid = the
  row's id), tokenizer ``unicode61 remove_diacritics 2`` (case and accents folded).
- PostgreSQL: tables of the same names with a ``tsvector`` (``simple`` configuration over
  ``unaccent``, ASCII punctuation read as spaces), a GIN index each, rows removed with
  their set, track or artist.

Tracks and artists are indexed by their identity keys (``crawler.normalize``), which are
already folded (case, accents, punctuation, "&"/"and"); sets by title, DJs as credited,
event and venue.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# --- SQLite ---------------------------------------------------------------------------

_SQLITE_DJS = "(SELECT group_concat(value, ' ') FROM json_each({row}.djs))"
_SQLITE_SET_VALUES = "{row}.id, {row}.title, " + _SQLITE_DJS + ", {row}.event, {row}.venue"
_SQLITE_TABLES = {
    "search_sets": "title, djs, event, venue",
    "search_tracks": "doc",
    "search_artists": "doc",
}
# What each index row holds, from a row of its table (``new``/``old`` in a trigger).
_SQLITE_VALUES = {
    "search_sets": ("sets", _SQLITE_SET_VALUES),
    "search_tracks": ("tracks", "{row}.id, replace({row}.key, '|', ' ')"),
    "search_artists": ("artists", "{row}.id, {row}.key"),
}


def _sqlite_upgrade() -> None:
    for index, columns in _SQLITE_TABLES.items():
        op.execute(
            f"CREATE VIRTUAL TABLE {index} USING fts5({columns},"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )
        table, values = _SQLITE_VALUES[index]
        names = f"rowid, {columns}"
        insert = f"INSERT INTO {index}({names}) VALUES ({values.format(row='new')});"
        delete = f"DELETE FROM {index} WHERE rowid = old.id;"
        op.execute(f"CREATE TRIGGER {index}_ai AFTER INSERT ON {table} BEGIN {insert} END")
        op.execute(f"CREATE TRIGGER {index}_ad AFTER DELETE ON {table} BEGIN {delete} END")
        op.execute(f"CREATE TRIGGER {index}_au AFTER UPDATE ON {table} BEGIN {delete} {insert} END")
        op.execute(f"INSERT INTO {index}({names}) SELECT {values.format(row=table)} FROM {table}")


def _sqlite_downgrade() -> None:
    for index in _SQLITE_VALUES:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {index}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {index}")


# --- PostgreSQL -----------------------------------------------------------------------

_PG_DOCS = {
    "search_sets": (
        "sets",
        "set_id",
        "concat_ws(' ', {row}.title, (SELECT string_agg(value, ' ')"
        " FROM json_array_elements_text({row}.djs)), {row}.event, {row}.venue)",
    ),
    "search_tracks": ("tracks", "track_id", "replace({row}.key, '|', ' ')"),
    "search_artists": ("artists", "artist_id", "{row}.key"),
}


def _pg_vector(text: str) -> str:
    """ASCII punctuation becomes a space first, as ``fold`` does: PostgreSQL's parser would
    read "2000-09-29" as 2000, -09 and -29, which the query words "09" and "29" miss."""
    return (
        "to_tsvector('simple'::regconfig,"
        f" regexp_replace(unaccent({text}), '[[:punct:]]+', ' ', 'g'))"
    )


def _pg_upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for index, (table, key, text) in _PG_DOCS.items():
        op.execute(
            f"CREATE TABLE {index} ({key} integer PRIMARY KEY"
            f" REFERENCES {table}(id) ON DELETE CASCADE, doc tsvector NOT NULL)"
        )
        op.execute(f"CREATE INDEX ix_{index}_doc ON {index} USING gin (doc)")
        vector = _pg_vector(text.format(row="new"))
        op.execute(
            f"CREATE FUNCTION {index}_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" INSERT INTO {index} ({key}, doc) VALUES (new.id, {vector})"
            f" ON CONFLICT ({key}) DO UPDATE SET doc = excluded.doc; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {index}_sync AFTER INSERT OR UPDATE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {index}_sync()"
        )
        op.execute(
            f"INSERT INTO {index} ({key}, doc)"
            f" SELECT id, {_pg_vector(text.format(row=table))} FROM {table}"
        )


def _pg_downgrade() -> None:
    for index, (table, _, _) in _PG_DOCS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {index}_sync ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {index}_sync()")
        op.execute(f"DROP TABLE IF EXISTS {index}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_downgrade()
    else:
        _sqlite_downgrade()
