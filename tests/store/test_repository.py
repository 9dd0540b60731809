"""The store on real SQLite files and the real PostgreSQL server."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from crawler.items import TRACK_FIELDS, TRACK_ID_FIELDS, DJSet, TrackEntry
from crawler.normalize import normalize_set
from crawler.pipelines.normalize import mark_normalized
from crawler.store import iter_sets, record_crawl_run, record_page, session_factory, store_set
from crawler.store.models import Artist, Base, CrawlRun, DJSetRow, Page, SetDJ, SetEntry, Track
from crawler.store.sets import _ENTRY_FIELDS, content_hash

NOW = datetime(2026, 1, 2, 3, 4, 5)


def make_set(url: str = "https://radio.example/sets/1", **changes: object) -> DJSet:
    djset = DJSet(
        source="schema.org",
        url=url,
        title="Night Shift",
        djs=["Tale Of Us"],
        date="2025-05-01",
        tracks=[
            TrackEntry(position=1, artist="Kölsch", title="Grey", version="Tale Of Us Remix",
                       label="Kompakt", raw="Kölsch - Grey (Tale Of Us Remix) [KOMPAKT]"),
            TrackEntry(position=2, artist="Tale of Us", title="Monument",
                       raw="Tale of Us - Monument"),
            TrackEntry(position=3, unknown=True, raw="ID - ID"),
        ],
    )  # fmt: skip
    return dataclasses.replace(djset, **changes)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return request.getfixturevalue("postgres_url")


def count(factory, model) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_store_is_idempotent_and_round_trips(database: str) -> None:
    factory = session_factory(database)
    item = normalize_set(make_set())
    with factory.begin() as session:
        assert store_set(session, item, NOW) == "created"
    with factory.begin() as session:
        assert store_set(session, item, NOW) == "unchanged"
    assert count(factory, DJSetRow) == 1 and count(factory, SetEntry) == 3
    with factory() as session:
        assert list(iter_sets(session)) == [item]


def _every_field_set() -> DJSet:
    return DJSet(
        source="schema.org", url="https://radio.example/sets/1", title="Night Shift",
        djs=["Tale Of Us"], date="2025-05-01",
        tracks=[
            TrackEntry(position=1, cue_s=61, artist="Kölsch", featured=["Ry X"], title="Grey",
                       version="Tale Of Us Remix", label="Kompakt", with_previous=True,
                       raw="Kölsch ft. Ry X - Grey", recording_mbid="m-1", isrcs=["GB1"],
                       duration_s=300),
            TrackEntry(position=2, unknown=True, raw="ID - ID"),
        ],
    )  # fmt: skip


def test_set_entries_store_every_track_field() -> None:
    # a set entry's columns, then the identifiers crawler.store.identifiers writes
    assert _ENTRY_FIELDS + TRACK_ID_FIELDS == TRACK_FIELDS


def test_content_hash_is_the_one_stores_already_hold() -> None:
    # A changed digest would make the next import rewrite every stored set; marks that
    # the pipeline sets on an item are not part of it.
    item = _every_field_set()
    mark_normalized(item)
    assert content_hash(item) == "2e0e08bd41aeac1d4c2228b54a1f8f33f1ae8714e93d328bdfa4cce9ef176af5"
    # a field added since is hashed only when set: a set that has it is another set
    grouped = _every_field_set()
    grouped.tracks[0].release_group_mbid = "1c7ea18e-61a5-487d-ac35-371034a12060"
    grouped.tracks[0].key = "Am"
    assert content_hash(grouped) != content_hash(item)
    grouped.tracks[0].key = None
    assert content_hash(grouped) != content_hash(item)


def test_every_entry_field_round_trips(database: str) -> None:
    factory = session_factory(database)
    item = _every_field_set()
    item.tracks[0].key = "8A"
    item.tracks[0].release_group_mbid = "1c7ea18e-61a5-487d-ac35-371034a12060"
    with factory.begin() as session:
        assert store_set(session, item, NOW) == "created"
    with factory() as session:
        (stored,) = iter_sets(session)
    # everything comes back, the track's own identifiers (ISRCs, length) from its row:
    # `crawler export` wrote no duration_s for the 504 tracks of the bundled exports
    assert stored == item


def test_same_track_and_artist_written_differently_are_one_row(database: str) -> None:
    factory = session_factory(database)
    a = normalize_set(make_set("https://a.example/1"))
    b = normalize_set(make_set("https://b.example/2", djs=["Tale of Us"], tracks=[
        TrackEntry(position=1, raw="KÃ¶lsch - Grey (Tale of Us remix)"),
    ]))  # fmt: skip
    with factory.begin() as session:
        store_set(session, a, NOW)
        store_set(session, b, NOW)
    assert count(factory, Track) == 2  # Grey (remix), Monument; the ID track is no track
    assert count(factory, Artist) == 2  # Kölsch, Tale Of Us
    with factory() as session:
        entries = session.scalars(select(SetEntry).order_by(SetEntry.id)).all()
        assert entries[0].track_id == entries[3].track_id
        assert entries[3].raw == "KÃ¶lsch - Grey (Tale of Us remix)"  # provenance kept
        dj_ids = session.scalars(select(SetDJ.artist_id)).all()
        assert len(dj_ids) == 2 and dj_ids[0] == dj_ids[1]  # "Tale Of Us" and "Tale of Us"


def test_changed_set_is_updated_in_place(database: str) -> None:
    factory = session_factory(database)
    with factory.begin() as session:
        store_set(session, normalize_set(make_set()), NOW)
    changed = normalize_set(make_set(title="Night Shift (extended)", tracks=make_set().tracks[:1]))
    with factory.begin() as session:
        assert store_set(session, changed, NOW) == "updated"
    assert count(factory, DJSetRow) == 1 and count(factory, SetEntry) == 1
    with factory() as session:
        assert list(iter_sets(session)) == [changed]


def test_pages_and_crawl_runs(database: str) -> None:
    factory = session_factory(database)
    with factory.begin() as session:
        record_page(session, "https://a.example/1", 200, NOW, "h1", '"etag-1"', "Mon")
        record_page(session, "https://a.example/1", 304, NOW)
        run_id = record_crawl_run(session, "sets", NOW, NOW, {"finish_time": NOW}, {"x": 1})
    with factory() as session:
        page = session.scalars(select(Page)).one()
        assert (page.status, page.content_hash, page.etag) == (304, "h1", '"etag-1"')
        run = session.get(CrawlRun, run_id)
        assert run is not None and run.politeness == {"x": 1}


def test_migrations_match_the_models(database: str) -> None:
    factory = session_factory(database)
    with factory.kw["bind"].connect() as conn:
        # The full-text index (migration 0004) is the database's own: FTS5 or tsvector
        # tables kept by triggers, no models.
        opts = {"include_name": lambda name, kind, _: not (name or "").startswith("search_")}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert diff == []


def test_schema_revision_is_alembic_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from crawler.store.db import MIGRATIONS, SCHEMA_REVISION

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def _open_store(url: str) -> None:
    session_factory(url)


def test_workers_opening_a_new_sqlite_store_together(tmp_path: Path) -> None:
    import multiprocessing

    url = f"sqlite:///{tmp_path}/shared.db"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_open_store, args=(url,)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert count(session_factory(url), DJSetRow) == 0
