"""Near-duplicates: the pure finder, and ``crawler duplicates`` on a real store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.cli import main
from crawler.items import DJSet
from crawler.normalize import find_near_duplicates, normalize_set, parse_track_line
from crawler.normalize.duplicates import near_duplicate_ids
from crawler.store import session_factory, store_set
from crawler.store.models import Artist, SetDJ, SetEntry, Track

NOW = datetime(2026, 1, 2, 3, 4, 5)


def test_finds_typos_and_spellings_best_first() -> None:
    names = [
        "Ricardo Villalobos",
        "Ricardo Villalobo",
        "Tale Of Us",
        "Tale of Us",
        "Kölsch",
        "Kolsch",
        "Recondite",
        "Dixon",
        "DJ A",
        "DJ B",
        "Tale Of Us",  # a repeat is no pair
        "",
    ]
    pairs = find_near_duplicates(names)
    assert pairs[:2] == [("Tale Of Us", "Tale of Us", 100.0), ("Kölsch", "Kolsch", 100.0)]
    assert ("Ricardo Villalobos", "Ricardo Villalobo", 97.1) in pairs
    flat = {n for a, b, _ in pairs for n in (a, b)}
    assert not flat & {"Recondite", "Dixon", "DJ A", "DJ B"}


def test_threshold_and_ids() -> None:
    records = {10: "Adam Beyer", 11: "Adam Bayer", 12: "Adam Beyer & Bart Skils"}
    assert near_duplicate_ids(records, 85) == [(10, 11, 90.0)]
    assert near_duplicate_ids(records, 95) == []
    assert find_near_duplicates([]) == []


def _line_set(url: str, djs: list[str], lines: list[str]) -> DJSet:
    tracks = [parse_track_line(line) for line in lines]
    return normalize_set(DJSet(source="test", url=url, djs=djs, tracks=tracks))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/store.db"
    else:
        url = request.getfixturevalue("postgres_url")
    factory = session_factory(url)
    with factory.begin() as session:
        store_set(session, _line_set("https://a.example/1", ["Ricardo Villalobos"], [
            "01. Ricardo Villalobos - Dexter",
            "02. Kölsch - Grey (Tale Of Us Remix)",
        ]), NOW)  # fmt: skip
        store_set(session, _line_set("https://b.example/2", ["Ricardo Villalobo"], [
            "1. Ricardo Villalobo - Dexter",
            "2. Ricardo Villalobo - Fizheuer Zieheuer",
            "3. Kölsch - Grey (Tael Of Us Remix)",
        ]), NOW)  # fmt: skip
    return url


def _ids(url: str) -> tuple[dict[str, int], dict[str, int]]:
    with session_factory(url)() as session:
        artists = {a.name: a.id for a in session.scalars(select(Artist))}
        tracks = {t.key: t.id for t in session.scalars(select(Track))}
    return artists, tracks


def test_cli_reports_without_changing_anything(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _ids(store)
    assert main(["duplicates", "--database", store]) == 0
    out = capsys.readouterr().out
    assert "'Ricardo Villalobos' (2 uses)" in out and "'Ricardo Villalobo' (3 uses)" in out
    assert main(["duplicates", "--database", store, "--kind", "tracks"]) == 0
    out = capsys.readouterr().out
    assert "Grey (Tale Of Us Remix)" in out and "Grey (Tael Of Us Remix)" in out
    assert "Dexter" in out
    assert _ids(store) == before


def test_cli_merges_artists_and_their_tracks(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    artists, _ = _ids(store)
    keep, drop = artists["Ricardo Villalobos"], artists["Ricardo Villalobo"]
    assert main(["duplicates", "--database", store, "--merge", str(keep), str(drop)]) == 0
    assert "1 tracks moved, 1 tracks merged, 1 set credits moved" in capsys.readouterr().out
    artists, tracks = _ids(store)
    assert "Ricardo Villalobo" not in artists
    assert set(tracks) >= {"ricardo villalobos|dexter|", "ricardo villalobos|fizheuer zieheuer|"}
    with session_factory(store)() as session:
        dexter = tracks["ricardo villalobos|dexter|"]
        assert len(session.scalars(select(SetEntry).where(SetEntry.track_id == dexter)).all()) == 2
        assert {r.artist_id for r in session.scalars(select(SetDJ))} == {keep}
        # what feeds show takes the kept spelling; the raw text keeps what was credited
        entries = session.scalars(select(SetEntry)).all()
        assert "Ricardo Villalobo" not in {e.artist for e in entries}
        assert any("Ricardo Villalobo " in (e.raw or "") for e in entries)
    assert main(["duplicates", "--database", store]) == 0
    assert "Villalobo'" not in capsys.readouterr().out


def test_cli_merges_tracks(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, tracks = _ids(store)
    keep, drop = tracks["kolsch|grey|tale of us remix"], tracks["kolsch|grey|tael of us remix"]
    assert (
        main(
            ["duplicates", "--database", store, "--kind", "tracks", "--merge", str(keep), str(drop)]
        )
        == 0
    )
    assert "1 set entries moved" in capsys.readouterr().out
    _, tracks = _ids(store)
    assert "kolsch|grey|tael of us remix" not in tracks


@pytest.mark.parametrize("merge", [["1", "1"], ["1", "999"]])
def test_cli_refuses_a_bad_merge(
    store: str, merge: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _ids(store)
    assert main(["duplicates", "--database", store, "--merge", *merge]) == 2
    assert "crawler duplicates:" in capsys.readouterr().err
    assert _ids(store) == before
