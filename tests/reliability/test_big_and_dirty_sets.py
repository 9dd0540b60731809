"""Sets of any size and any bytes store the same on SQLite and PostgreSQL.

A set of 100,000 tracks needs more bound parameters than one statement may have (SQLite
32,766, PostgreSQL 65,535); NUL bytes, which SQLite takes and PostgreSQL refuses, are
cleaned in normalization. Hand-made sets: these are edge cases, not real tracklists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.items import DJSet, TrackEntry
from crawler.normalize import normalize_set
from crawler.store import session_factory
from crawler.store.models import DJSetRow, SetEntry, Track
from crawler.store.sets import store_sets
from tests.conftest import run_scrapy
from tests.incremental.conftest import stat


def _huge_set(n: int) -> DJSet:
    tracks = [TrackEntry(artist=f"Artist {i % 977}", title=f"Track number {i}") for i in range(n)]
    return DJSet(source="test", url="https://example.org/huge", title="Huge", tracks=tracks)


def _dirty_set() -> DJSet:
    return DJSet(
        source="test",
        url="https://example.org/dirty",
        title="Night\x00 Session\x07",
        djs=["DJ\x00 Nul"],
        venue="Club\x1b[31m Red",
        tracks=[
            TrackEntry(artist="Art\x00ist", title="Ti\x00tle (Ex\x00tended Mix)", raw="Art\x00ist"),
            TrackEntry(raw="Other\x00 - Song\x0b Name"),
        ],
    )


def _store(url: str, item: DJSet) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    with session_factory(url).begin() as session:
        assert store_sets(session, [normalize_set(item)], now) == ["created"]


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/big.db"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return _sqlite(tmp_path)
    return str(request.getfixturevalue("postgres_url"))


def test_a_set_of_100000_tracks_is_stored(store_url: str) -> None:
    _store(store_url, _huge_set(100_000))
    with session_factory(store_url)() as session:
        assert session.scalar(select(func.count()).select_from(SetEntry)) == 100_000
        assert session.scalar(select(func.count()).select_from(Track)) == 100_000


def test_nul_and_control_characters_never_reach_the_store(store_url: str) -> None:
    _store(store_url, _dirty_set())
    with session_factory(store_url)() as session:
        row = session.scalars(select(DJSetRow)).one()
        assert (row.title, row.djs, row.venue) == ("Night Session", ["DJ Nul"], "Club[31m Red")
        entries = session.scalars(select(SetEntry).order_by(SetEntry.ordinal)).all()
        assert [(e.artist, e.title, e.version) for e in entries] == [
            ("Artist", "Title", "Extended Mix"),
            ("Other", "Song Name", None),
        ]
        assert entries[0].raw == "Artist"
        assert all("\x00" not in (e.raw or "") for e in entries)


def _serato_history(path: Path, rows: int) -> Path:
    lines = [
        '"name","artist","start time","end time","playtime","deck"',
        '"Long night","","1/2/2024 10:00:00 PM","1/3/2024 6:00:00 AM","08:00:00",""',
    ]
    lines += [f'"Song {i}","Artist {i % 501}","10:00:00 PM","10:01:00 PM","00:01:00","1"'
              for i in range(rows)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_export_of_40000_rows_imports_whole_when_the_cap_is_lifted(tmp_path: Path) -> None:
    csv = _serato_history(tmp_path / "history.csv", 40_000)
    database = _sqlite(tmp_path)
    result = run_scrapy("crawl", "exports", "-a", f"path={csv}", "-s", f"DATABASE_URL={database}",
                        "-s", "MAX_TRACKS_PER_SET=0", timeout=300).check()  # fmt: skip
    assert stat(result.stderr, "store/created") == 1
    with session_factory(database)() as session:
        assert session.scalar(select(func.count()).select_from(SetEntry)) == 40_000


def test_a_tracklist_longer_than_the_cap_is_cut_with_a_warning(tmp_path: Path) -> None:
    csv = _serato_history(tmp_path / "history.csv", 6_000)
    database = _sqlite(tmp_path)
    result = run_scrapy("crawl", "exports", "-a", f"path={csv}",
                        "-s", f"DATABASE_URL={database}").check()  # fmt: skip
    assert "more than MAX_TRACKS_PER_SET (5000)" in result.stderr
    assert stat(result.stderr, "normalize/tracks_left_out") == 1_000
    with session_factory(database)() as session:
        assert session.scalar(select(func.count()).select_from(SetEntry)) == 5_000
