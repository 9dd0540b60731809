"""Recording identifiers in the store, on SQLite files and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.enrich.store import iter_pending, record_lookup
from crawler.items import DJSet, TrackEntry
from crawler.normalize import normalize_set
from crawler.sites.musicbrainz import release_sets
from crawler.store.db import session_factory
from crawler.store.models import DJSetRow, SetEntry, Track
from crawler.store.sets import iter_sets, store_sets
from tests.conftest import FIXTURES

NOW = datetime(2026, 12, 1, 10)
GREY = "00000000-0000-4000-8000-000000000201"


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return request.getfixturevalue("postgres_url")


def mb_sets() -> list[DJSet]:
    release = json.loads(
        (FIXTURES / "musicbrainz" / "handwritten_release_two_mixes.json").read_text()
    )
    return [normalize_set(s) for s in release_sets(release)]


def test_one_mbid_is_one_track_and_storing_again_changes_nothing(database: str) -> None:
    factory = session_factory(database)
    with factory.begin() as session:
        assert store_sets(session, mb_sets(), NOW) == ["created", "created"]
    with factory.begin() as session:
        assert store_sets(session, mb_sets(), NOW) == ["unchanged", "unchanged"]
    with factory() as session:
        grey = session.scalars(select(Track).where(Track.mbid == GREY)).all()
        assert len(grey) == 1 and grey[0].isrcs == ["DEKO11200101", "DEKO11200102"]
        linked = session.scalars(select(SetEntry.track_id).where(SetEntry.recording_mbid == GREY))
        assert set(linked) == {grey[0].id}
        assert session.scalar(select(DJSetRow.label)) == "Example Records"
        stored = list(iter_sets(session))
        assert stored[0].tracks[0].recording_mbid == GREY and stored[0].label == "Example Records"


def test_one_spelling_with_two_mbids_is_two_tracks(database: str) -> None:
    factory = session_factory(database)
    a = DJSet(
        "text",
        "https://r.example/1",
        tracks=[TrackEntry(artist="A", title="T", recording_mbid="m1")],
    )
    b = DJSet(
        "text",
        "https://r.example/2",
        tracks=[TrackEntry(artist="A", title="T", recording_mbid="m2")],
    )
    with factory.begin() as session:
        store_sets(session, [normalize_set(a), normalize_set(b)], NOW)
    with factory() as session:
        rows = session.execute(select(Track.key, Track.mbid).order_by(Track.id)).all()
    assert [m for _, m in rows] == ["m1", "m2"] and rows[1][0].endswith("|mbid:m2")


def test_enrichment_never_overwrites_a_source_and_joins_one_mbid(database: str) -> None:
    factory = session_factory(database)
    text = DJSet("text", "https://r.example/3", tracks=[
        TrackEntry(artist="Kolsh", title="Grey", version="Tale of Us remix"),
        TrackEntry(artist="Someone", title="Else"),
    ])  # fmt: skip
    with factory.begin() as session:
        store_sets(session, [*mb_sets(), normalize_set(text)], NOW)
    with factory.begin() as session:
        pending = {w.artist: w for w in iter_pending(session)}
        assert set(pending) == {"Kolsh", "Someone"}  # tracks with an MBID are not asked for
        kolsh = pending["Kolsh"].track_id
        assert record_lookup(session, kolsh, NOW, GREY, 91.0, ["XX0000000001"], 400)
        assert not record_lookup(session, pending["Someone"].track_id, NOW)
        source = session.scalar(select(Track).where(Track.mbid == GREY, Track.mbid_score.is_(None)))
        assert source is not None
        # a source's MBID stays: a later lookup cannot overwrite it
        assert not record_lookup(session, source.id, NOW, "another", 99.0)
    with factory() as session:
        assert session.scalar(select(Track.mbid).where(Track.id == source.id)) == GREY
        row = session.get(Track, kolsh)
        assert row is not None and (row.mbid, row.mbid_score, row.isrcs, row.duration_s) == (
            GREY, 91.0, ["XX0000000001"], 400,
        )  # fmt: skip
        moved = session.scalar(select(SetEntry.track_id).where(SetEntry.artist == "Kolsh"))
        assert moved == source.id  # one MBID, one track
        assert list(iter_pending(session)) == []  # nothing left to ask
        assert {w.artist for w in iter_pending(session, retry=True)} == {"Someone"}
