"""The DJ programs' own history files, read where the programs keep them.

Each file under fixtures/exports/<format>/ comes unchanged from a public repository
(PROVENANCE.md beside it); ``<file>.expected.json`` lists, for every set read, its
title, date, track count and first and last track after normalization (checked against
the file with the sqlite3 shell and hex dumps). Hand-written edge cases are built in the
tests and say so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.exports import UnreadableFile, read_path
from crawler.normalize import normalize_set
from tests.conftest import FIXTURES

EXPORTS = FIXTURES / "exports"
DJ_FORMATS = (
    "mixxx",
    "engine",
    "serato_session",
    "rekordbox_pdb",
    "refused",
    "playlist_csv",
    "virtualdj_txt",
)
FILES = sorted(
    p
    for fmt in DJ_FORMATS
    if (EXPORTS / fmt).is_dir()
    for p in (EXPORTS / fmt).rglob("*")
    if p.is_file() and (p.parent / (p.name + ".expected.json")).is_file()
)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Serato's Unix times are dated in local time, as Serato shows them: UTC here."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _present(value: Any) -> bool:
    return value is not None and value != [] and value is not False


def summary(path: Path) -> object:
    """What the expected files hold: each set's fields, and its first and last track."""
    try:
        sets = [normalize_set(s) for s in read_path(path)]
    except UnreadableFile as exc:
        return {"error": exc.reason}
    out = []
    for djset in sets:
        fields = dataclasses.asdict(djset)
        tracks = fields.pop("tracks")
        row = {k: v for k, v in fields.items() if v is not None and v != []}
        row["url"] = row["url"].replace(FIXTURES.resolve().as_uri(), "{fixtures}")
        row["track_count"] = len(tracks)
        row["first"] = {k: v for k, v in tracks[0].items() if _present(v)}
        row["last"] = {k: v for k, v in tracks[-1].items() if _present(v)}
        out.append(row)
    return out


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(EXPORTS)) for p in FILES])
def test_history_file_fully_right(path: Path) -> None:
    expected = json.loads(path.with_name(path.name + ".expected.json").read_text("utf-8"))
    assert summary(path) == expected


def test_every_fixture_has_provenance() -> None:
    for fmt in DJ_FORMATS:
        folder = EXPORTS / fmt
        if folder.is_dir():
            provenance = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
            for path in FILES:
                if folder in path.parents:
                    assert path.name in provenance


def _folder_state(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("journal", ["delete", "wal"])
@pytest.mark.parametrize("fixture", ["mixxx/mixxxdb.sqlite", "engine/desktop-2.21/Database2/hm.db"])
def test_a_library_folder_is_byte_identical_after_reading(
    tmp_path: Path, fixture: str, journal: str
) -> None:
    """No -journal, -wal or -shm file appears beside the library, in either journal
    mode SQLite leaves a closed database in."""
    library = tmp_path / "library"
    library.mkdir()
    copy = library / Path(fixture).name
    shutil.copyfile(EXPORTS / fixture, copy)
    if journal == "wal":
        with sqlite3.connect(copy) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
    before = _folder_state(library)
    assert read_path(copy)
    assert _folder_state(library) == before


def test_a_wal_library_copied_without_its_shm_is_read_whole_and_left_as_it_is(
    tmp_path: Path,
) -> None:
    """A ``-wal`` with no ``-shm`` (copied from a stick without it, or left by a crash):
    ``mode=ro`` created the ``-shm`` beside the library (and failed on a read-only
    mount); the two files are now read from a private copy, the ``-wal``'s rows too."""
    live = tmp_path / "live"
    live.mkdir()
    shutil.copyfile(EXPORTS / "mixxx/mixxxdb.sqlite", live / "mixxxdb.sqlite")
    writer = sqlite3.connect(live / "mixxxdb.sqlite")
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")  # the new rows stay in the -wal
        writer.execute(
            "INSERT INTO PlaylistTracks (playlist_id, track_id, position, pl_datetime_added)"
            " SELECT 144, track_id, 2, '2023-05-18 18:07:29' FROM PlaylistTracks"
            " WHERE playlist_id = 143"
        )
        writer.commit()
        library = tmp_path / "library"
        library.mkdir()
        for name in ("mixxxdb.sqlite", "mixxxdb.sqlite-wal"):  # no -shm
            shutil.copyfile(live / name, library / name)
    finally:
        writer.close()
    before = _folder_state(library)
    grown = next(s for s in read_path(library / "mixxxdb.sqlite") if s.url.endswith("#history/144"))
    assert len(grown.tracks) == 2  # the row only the -wal holds
    assert _folder_state(library) == before


def test_a_session_that_grew_keeps_its_url(tmp_path: Path) -> None:
    """The set of a session still being played is the same set (same URL) with more
    tracks when read again: the store updates it rather than adding another."""
    copy = tmp_path / "mixxxdb.sqlite"
    shutil.copyfile(EXPORTS / "mixxx/mixxxdb.sqlite", copy)
    before = {s.url: len(s.tracks) for s in read_path(copy)}
    with sqlite3.connect(copy) as conn:
        conn.execute(
            "INSERT INTO PlaylistTracks (playlist_id, track_id, position, pl_datetime_added)"
            " SELECT 144, track_id, 2, '2023-05-18 18:07:29' FROM PlaylistTracks"
            " WHERE playlist_id = 143"
        )
    conn.close()
    after = {s.url: s for s in read_path(copy)}
    assert after.keys() == before.keys()
    grown = next(s for url, s in after.items() if url.endswith("#history/144"))
    assert len(grown.tracks) == 2 and grown.tracks[1].cue_s == 240


def test_engine_prime_1_history_lists(tmp_path: Path) -> None:
    """Engine Prime 1.x: the real 1.6.1 schema (libdjinterop's reference dump), with
    hand-written rows: history lists are List rows of type 2, untimed."""
    db = tmp_path / "m.db"
    with sqlite3.connect(db) as conn:
        conn.executescript((EXPORTS / "engine/prime-1.6.1/m.db.sql").read_text("utf-8"))
        conn.executescript(
            """
            INSERT INTO Track (id, length, path, filename) VALUES
              (1, 421, '../Music/a.mp3', 'a.mp3'), (2, 376, '../Music/b.mp3', 'b.mp3');
            INSERT INTO MetaData (id, type, text) VALUES
              (1, 1, '7A - Shadow Of Doubt'), (1, 2, 'WhoMadeWho'), (2, 1, 'Solis');
            INSERT INTO MetaDataInteger (id, type, value) VALUES (2, 4, 3);
            INSERT INTO Historylist (id, title) VALUES (5, '2019-03-02');
            INSERT INTO HistorylistTrackList (historylistId, trackId) VALUES (5, 1), (5, 2);
            INSERT INTO Playlist (id, title) VALUES (6, 'Not a history');
            INSERT INTO PlaylistTrackList (playlistId, trackId, trackNumber) VALUES (6, 1, 1);
            """
        )
    conn.close()
    sets = [normalize_set(s) for s in read_path(db)]
    assert [(s.title, s.date, s.source) for s in sets] == [("2019-03-02", "2019-03-02", "engine")]
    first, last = sets[0].tracks
    assert (first.artist, first.title, first.key, first.duration_s) == (
        "WhoMadeWho", "Shadow Of Doubt", "7A", 421,
    )  # fmt: skip
    assert (last.artist, last.title, last.key, last.cue_s) == (None, "Solis", "9A", None)


def test_sqlite_of_another_program_is_refused_with_the_reason(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    with pytest.raises(UnreadableFile, match="without Engine history"):
        read_path(db)


def test_serato_rows_loaded_but_not_played_are_left_out() -> None:
    (session,) = read_path(EXPORTS / "serato_session/scratch-live-2010.session")
    assert len(session.tracks) == 63  # of 121 rows, 58 without the played mark
    cues = [t.cue_s for t in session.tracks]
    assert cues[0] == 0 and all(c is not None and c >= 0 for c in cues)


def test_serato_session_cut_short_is_refused(tmp_path: Path) -> None:
    data = (EXPORTS / "serato_session/dj-2.4-mac-66.session").read_bytes()
    cut = tmp_path / "66.session"
    cut.write_bytes(data[:-100])
    with pytest.raises(UnreadableFile, match="cut short"):
        read_path(cut)


@pytest.mark.parametrize("size", [150_000, 1_000_000])
def test_rekordbox_export_cut_short_is_refused(tmp_path: Path, size: int) -> None:
    """Cut at 150 KB it imported "ok" as a history of 73 blank tracks (65 at 1 MB): a
    table going on past the end of the file was simply left there."""
    stick = tmp_path / "PIONEER/rekordbox"
    stick.mkdir(parents=True)
    data = (EXPORTS / "rekordbox_pdb/history-73/PIONEER/rekordbox/export.pdb").read_bytes()
    assert len(data) > size
    (stick / "export.pdb").write_bytes(data[:size])
    with pytest.raises(UnreadableFile, match=r"cut short: page \d+ of a table lies past its end"):
        read_path(stick / "export.pdb")


def test_rekordbox_history_entries_keep_the_players_order() -> None:
    (history,) = read_path(EXPORTS / "rekordbox_pdb/history-73/PIONEER/rekordbox/export.pdb")
    assert [t.position for t in history.tracks] == list(range(1, 74))
    assert all(t.title and t.cue_s is None for t in history.tracks)  # no times in the file


def test_a_library_under_another_name_is_recognized_by_its_tables(tmp_path: Path) -> None:
    """A copy or backup of a library (``wal_mixxxdb.sqlite``, ``backup.db``) was refused as
    "binary file (not an export or a saved page)": the programs' names were the test."""
    for fixture, name in (("mixxx/mixxxdb.sqlite", "copy of mixxxdb.sqlite"),
                          ("engine/desktop-2.21/Database2/hm.db", "backup.db")):  # fmt: skip
        copy = tmp_path / name
        shutil.copyfile(EXPORTS / fixture, copy)
        sets, expected = read_path(copy), read_path(EXPORTS / fixture)
        assert [(s.source, s.title, s.tracks) for s in sets] == [
            (s.source, s.title, s.tracks) for s in expected
        ]  # the URL names the file read
    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    assert summary(other) == {
        "error": "a SQLite database of no program the importer reads (Mixxx, Engine DJ)"
    }
