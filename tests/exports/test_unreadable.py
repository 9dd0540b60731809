"""Broken, empty, binary and hostile files: each one refused with a reason, none crashing."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from crawler.exports import UnreadableFile, read_path
from tests.conftest import FIXTURES, run_scrapy

EXPORTS = FIXTURES / "exports"

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<NML VERSION="19"><COLLECTION><ENTRY TITLE="&lol9;" ARTIST="x"/></COLLECTION></NML>
"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<DJ_PLAYLISTS><COLLECTION><TRACK TrackID="1" Name="&x;"/></COLLECTION></DJ_PLAYLISTS>
"""
FIFTY_MB = 50 * 1024 * 1024


def hostile_folder(root: Path) -> dict[str, str]:
    """Writes the bad files; returns file name -> a word the reason must contain."""
    files = {
        "empty.m3u": (b"", "empty"),
        "blank.txt": (b"  \n\n\t \n", "empty"),
        "cover.jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + os.urandom(2048), "binary"),
        "collection.nml": (b'<?xml version="1.0"?><NML VERSION="19"><COLLECTION><ENT', "broken"),
        "bomb.nml": (BOMB, "refused"),
        "external.xml": (EXTERNAL, "refused"),
        "odd.xml": (b'<?xml version="1.0"?><svg></svg>', "no known format"),
        "archive.mhtml": (
            b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=b\r\n\r\n--b--\r\n",
            "without an HTML page",
        ),
        "table.xlsx": (b"PK\x03\x04\x14\x00" + b"\x00" * 64, "binary"),
    }
    for name, (data, _) in files.items():
        (root / name).write_bytes(data)
    with (root / "huge.html").open("wb") as handle:  # sparse: 50 MB without writing them
        handle.truncate(FIFTY_MB)
    reasons = {name: word for name, (_, word) in files.items()}
    reasons["huge.html"] = "too large"
    return reasons


def test_each_bad_file_is_refused_with_its_reason(tmp_path: Path) -> None:
    reasons = hostile_folder(tmp_path)
    for name, word in reasons.items():
        with pytest.raises(UnreadableFile) as caught:
            read_path(tmp_path / name)
        assert word in caught.value.reason, (name, caught.value.reason)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="cannot open"):
        read_path(tmp_path / "nope.nml")


def test_size_cap_is_a_setting_for_files_read_whole(tmp_path: Path) -> None:
    page = tmp_path / "set.html"
    page.write_text("<html><body><ol><li>A - B</li><li>C - D</li></ol></body></html>")
    with pytest.raises(UnreadableFile, match="too large"):
        read_path(page, max_bytes=10)
    # a playlist is streamed: read whatever its size
    playlist = tmp_path / "list.m3u"
    playlist.write_text("#EXTM3U\n#EXTINF:1,A - B\na.mp3\n")
    (djset,) = read_path(playlist, max_bytes=10)
    assert [t.raw for t in djset.tracks] == ["A - B"]


def test_import_of_a_hostile_folder_reports_every_failure(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    reasons = hostile_folder(folder)
    (folder / "good.m3u").write_text("#EXTM3U\n#EXTINF:300,Artist - Title\na.mp3\n")
    result = run_scrapy(
        "crawl", "exports", "-a", f"path={folder}",
        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/db.sqlite", "-O", str(tmp_path / "out.json"),
    )  # fmt: skip
    assert result.returncode == 3, result.stderr[-3000:]  # partial: some files unreadable
    summary = result.stderr.split("files could not be imported:", 1)[1]
    # a picture and a spreadsheet are not exports by their names: skipped unread
    not_exports = {"cover.jpg", "table.xlsx"}
    for name in set(reasons) - not_exports:
        assert str(folder / name) in summary, name
    assert f"'import/errors': {len(reasons) - 2}" in result.stderr
    assert f"'import/files': {len(reasons) - 1}" in result.stderr
    assert "'import/skipped': 2" in result.stderr
    sets = json.loads((tmp_path / "out.json").read_text())
    assert [s["tracks"][0]["title"] for s in sets] == ["Title"]
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        assert db.execute("select count(*) from sets").fetchone() == (1,)


def test_a_file_without_a_set_is_reported_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.txt").write_text("Shopping\nmilk\neggs - two dozen\nbread\n")
    (folder / "good.m3u").write_text("#EXTM3U\n#EXTINF:300,Artist - Title\na.mp3\n")
    result = run_scrapy(
        "crawl", "exports", "-a", f"path={folder}",
        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/db.sqlite", "-O", str(tmp_path / "out.json"),
    )  # fmt: skip
    assert result.returncode == 3, "a file without a set makes the import partial"
    reason = "no tracklist found: 1 of 4 lines look like Artist - Title"
    assert f"WARNING: Cannot import {folder / 'notes.txt'}: {reason}" in result.stderr
    assert f"{folder / 'notes.txt'}: {reason}" in result.stderr.split("could not be imported:")[1]
    assert "'import/errors': 1" in result.stderr


def test_unnumbered_lines_are_a_tracklist(tmp_path: Path) -> None:
    path = tmp_path / "set.txt"
    path.write_text("My set\n\nA - One\nB - Two (X Remix)\nC - Three\nD - Four\n")
    (djset,) = read_path(path)
    assert [t.raw for t in djset.tracks] == [
        "A - One",
        "B - Two (X Remix)",
        "C - Three",
        "D - Four",
    ]


def test_a_file_name_that_is_not_utf8_gives_a_readable_title(tmp_path: Path) -> None:
    """A cp1252 name (from a Windows machine) reached the title as "set_�t�"."""
    name = os.fsdecode(b"set_\xe9t\xe9 \x96 live.m3u")
    (tmp_path / name).write_text("#EXTM3U\n#EXTINF:300,Artist A - Song 1\na.mp3\n")
    (djset,) = read_path(tmp_path / name)
    assert djset.title == "set_été – live"


def test_a_virtualdj_history_under_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    """The real VirtualDJ history, renamed on a Windows machine: its title was the raw
    surrogates as well."""
    name = os.fsdecode(b"2019-07-06 f\xeate.m3u")
    (tmp_path / name).write_bytes((EXPORTS / "virtualdj_2019-07-06.m3u").read_bytes())
    (djset,) = read_path(tmp_path / name)
    assert djset.title == "2019-07-06 fête"
    assert djset.date == "2019-07-06"
