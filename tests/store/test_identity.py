"""One set however many times it is seen: content identity, set sources, aliases."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.cli import main
from crawler.items import DJSet
from crawler.normalize import normalize_set, parse_track_line
from crawler.store import session_factory
from crawler.store.identity import content_key, set_sources, store_sets_once
from crawler.store.models import Artist, DJSetRow, SetSource
from tests.conftest import FIXTURES, run_scrapy

NOW = datetime(2026, 12, 1, 10, 0)
LINES = [
    "01. Ricardo Villalobos - Dexter",
    "02. Kölsch - Grey (Tale Of Us Remix)",
    "03. Robert Hood - Minus",
    "04. Dixon - Sunshine",
]


def _set(url: str, djs: list[str], lines: list[str], date: str | None = "2024-03-09") -> DJSet:
    tracks = [parse_track_line(line) for line in lines]
    return normalize_set(DJSet(source="test", url=url, djs=djs, date=date, tracks=tracks))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return request.getfixturevalue("postgres_url")


def _store(url: str, *items: DJSet) -> list[str]:
    with session_factory(url).begin() as session:
        return store_sets_once(session, list(items), NOW)


def _count(url: str, model: type) -> int:
    with session_factory(url)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_content_key_folds_spelling_and_needs_known_tracks() -> None:
    a = _set("https://a.example/1", ["Dixon"], LINES)
    b = _set("file:///x.txt", ["DIXON"], [line.upper() for line in LINES])
    assert content_key(a) == content_key(b) is not None
    assert content_key(_set("u", ["Dixon"], LINES, date=None)) != content_key(a)
    assert content_key(_set("u", ["Dixon"], ["ID - ID", "ID - ID"])) is None
    short = _set("u", ["Dixon"], ["ID - ID", LINES[0]])
    assert content_key(short) != content_key(_set("u", ["Dixon"], ["ID - ID", LINES[0]], "x"))


def test_the_same_set_at_two_urls_is_one_row_with_both_sources(store: str) -> None:
    site = _set("https://radio.example/shows/212", ["Dixon"], LINES)
    export = _set("file:///home/dj/History/2024-03-09.txt", ["Dixon"], LINES)
    assert _store(store, site) == ["created"]
    assert _store(store, export) == ["linked"]
    assert _store(store, export) == ["linked"]  # again: nothing new
    assert _count(store, DJSetRow) == 1
    with session_factory(store)() as session:
        (row,) = session.scalars(select(DJSetRow)).all()
        assert set_sources(session, row.id) == [site.url, export.url]


def test_two_copies_in_one_batch_and_playlists_of_one_file(store: str) -> None:
    first = _set("file:///a/set.nml#HISTORY", ["Dixon"], LINES)
    copy = _set("file:///b/set.nml#HISTORY", ["Dixon"], LINES)
    twin = _set("file:///a/set.nml#Copy%20of%20HISTORY", ["Dixon"], LINES)
    assert _store(store, first, copy, twin) == ["created", "linked", "created"]
    assert _count(store, DJSetRow) == 2
    assert _count(store, SetSource) == 3


def test_near_matches_are_reported_never_merged_until_asked(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(store, _set("https://a.example/1", ["Dixon"], LINES))
    _store(store, _set("https://b.example/2", ["Dixon"], [*LINES, "05. Âme - Rej"]))
    _store(store, _set("https://c.example/3", ["Âme"], LINES))  # another DJ: not a match
    assert main(["duplicates", "--database", store, "--kind", "sets"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "https://a.example/1" in out[0] and "https://b.example/2" in out[0]
    assert out[0].startswith("80.0")  # 4 of 5 tracks in the same order
    assert _count(store, DJSetRow) == 3
    with session_factory(store)() as session:
        ids = {r.url: r.id for r in session.scalars(select(DJSetRow))}
    keep, drop = ids["https://a.example/1"], ids["https://b.example/2"]
    assert (
        main(["duplicates", "--database", store, "--kind", "sets", "--merge", str(keep), str(drop)])
        == 0
    )
    assert _count(store, DJSetRow) == 2
    with session_factory(store)() as session:
        assert set_sources(session, keep) == ["https://a.example/1", "https://b.example/2"]
    # Seen again, as it was or changed, the merged set stays merged: it was stored as a
    # set of its own again (and its source moved back) at the next import of its file
    again = _set("https://b.example/2", ["Dixon"], [*LINES, "05. Âme - Rej"])
    changed = _set("https://b.example/2", ["Dixon"], [*LINES, "05. Âme - Rej", "06. Âme - Fiori"])
    assert _store(store, again) == ["linked"] and _store(store, changed) == ["linked"]
    assert _count(store, DJSetRow) == 2
    with session_factory(store)() as session:
        assert set_sources(session, keep) == ["https://a.example/1", "https://b.example/2"]


def test_a_merged_spelling_maps_to_the_kept_artist_everywhere(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(store, _set("https://a.example/1", ["Ricardo Villalobos"], LINES))
    _store(store, _set("https://b.example/2", ["Ricardo Villalobo"], LINES[:2], date=None))
    with session_factory(store)() as session:
        names = {a.name: a.id for a in session.scalars(select(Artist))}
    keep, drop = names["Ricardo Villalobos"], names["Ricardo Villalobo"]
    assert main(["duplicates", "--database", store, "--merge", str(keep), str(drop)]) == 0
    assert "now maps to" in capsys.readouterr().out
    with session_factory(store)() as session:
        djs = {r.url: r.djs for r in session.scalars(select(DJSetRow))}
    assert djs["https://b.example/2"] == ["Ricardo Villalobos"]  # what feeds show
    # the spelling comes back: it maps to the kept row, no artist of its own
    _store(store, _set("https://c.example/3", ["Ricardo Villalobo"], ["Ricardo Villalobo - Y"]))
    with session_factory(store)() as session:
        names = {a.name for a in session.scalars(select(Artist))}
        row = session.scalar(select(DJSetRow).where(DJSetRow.url == "https://c.example/3"))
        assert row is not None and row.djs == ["Ricardo Villalobos"]
    assert "Ricardo Villalobo" not in names


def test_an_export_imported_from_two_paths_gives_each_set_once(tmp_path: Path) -> None:
    first = tmp_path / "export"
    shutil.copytree(FIXTURES / "realworld" / "traktor_nml", first)
    shutil.copytree(FIXTURES / "realworld" / "serato_txt", first / "serato")
    second = tmp_path / "copy of export"
    shutil.copytree(first, second)
    db = tmp_path / "db.sqlite"
    for path in (first, second, first):
        # PROVENANCE and .expected.json files are refused: each import is partial (exit 3).
        run_scrapy(
            "crawl", "exports", "-a", f"path={path}", "-s", f"DATABASE_URL=sqlite:///{db}",
            "-s", "IMPORT_PROCESSES=0",
        ).check(3)  # fmt: skip
    with sqlite3.connect(db) as conn:
        sets = conn.execute("select count(*) from sets").fetchone()[0]
        sources = conn.execute("select count(*) from set_sources").fetchone()[0]
        copies = conn.execute(
            "select count(*) from set_sources where url like '%copy%20of%20export%'"
        ).fetchone()[0]
    # 8 Traktor sets (2 in one file) and 8 Serato histories, two of which are one history
    # exported twice (rothberry_8-3-23.txt, rothberry_test_data_2.txt): 15 real sets
    one_folder = 16
    assert sets == one_folder - 1
    assert copies == one_folder and sources == 2 * one_folder
