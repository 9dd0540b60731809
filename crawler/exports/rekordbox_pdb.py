"""rekordbox USB / CDJ exports: the history playlists of ``PIONEER/rekordbox/export.pdb``.

A player that plays from the stick records each session as a "HISTORY nnn" playlist
in the stick's DeviceSQL database; rekordbox names them so, and shows them in that
order. The database records which tracks were played and in what order, no times: the
sets have no cues and no date (the playlist name is what rekordbox shows). Every entry
is a played track: the player adds one only when it played.

The format is pages of rows (``header``, tables of linked pages, row groups indexed
from each page's end); it was described by Deep Symmetry's crate-digger analysis and
Holzhaus's rekordcrate. The few tables read here (tracks, artists, keys, history) are
decoded with ``struct`` rather than through a dependency: ``rbox`` (a Rust binding) is
GPL-3.0, which this BSD project cannot take as a dependency, ``pyrekordbox`` 0.5 no
longer reads PDB files and pulls in SQLCipher (made to open the encrypted
``master.db``, which this project must not), and ``construct`` would add a dependency
for four fixed row layouts.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from crawler.exports._common import file_uri, render, text
from crawler.exports._errors import UnreadableFile
from crawler.items import DJSet, TrackEntry

SOURCE = "rekordbox"
_TRACKS, _ARTISTS, _KEYS, _HISTORY_PLAYLISTS, _HISTORY_ENTRIES = 0, 2, 5, 11, 12
_FILE_HEADER = struct.Struct("<4I")  # zero, page size, table count, next unused page
_TABLE = struct.Struct("<4I")  # type, empty candidate, first page, last page
_TABLES_AT = 0x1C
_HEAP_AT = 0x28
_GROUP = 36  # 16 row offsets, the presence flags and an unknown u16, from the page's end
_INDEX_PAGE = 0x40
_TITLE_STRING = 17
"""Index of the title among a track row's 21 string offsets."""


def sniff(path: Path, head: bytes) -> bool:
    if len(head) < _TABLES_AT or path.suffix.lower() != ".pdb":
        return False
    zero, page_size, tables, _ = _FILE_HEADER.unpack_from(head)
    return zero == 0 and page_size in (512, 1024, 2048, 4096, 8192, 16384) and 0 < tables < 64


def _string(page: bytes, at: int) -> str | None:
    """A DeviceSQL string: short ASCII (odd first byte: length in its upper bits), or a
    long ASCII (0x40) or UTF-16LE (0x90) one with a 4-byte header."""
    if at >= len(page):
        return None
    kind = page[at]
    if kind & 1:
        return text(page[at + 1 : at + (kind >> 1)].decode("ascii", "replace"))
    if at + 4 > len(page):
        return None
    (length,) = struct.unpack_from("<H", page, at + 1)
    body = page[at + 4 : at + length]
    if kind == 0x90:
        return text(body.decode("utf-16-le", "replace"))
    return text(body.decode("latin-1"))


class _Database:
    def __init__(self, data: bytes) -> None:
        self.data = data
        _, self.page_size, count, _ = _FILE_HEADER.unpack_from(data)
        self.tables: dict[int, tuple[int, int]] = {}
        for i in range(count):
            kind, _, first, last = _TABLE.unpack_from(data, _TABLES_AT + i * _TABLE.size)
            self.tables[kind] = (first, last)

    def rows(self, kind: int) -> Iterator[tuple[bytes, int]]:
        """Each present row of a table: its page and where the row starts in it."""
        if kind not in self.tables:
            return
        index, last = self.tables[kind]
        seen: set[int] = set()
        while index not in seen:
            if (index + 1) * self.page_size > len(self.data):
                # a table goes on past the end: the file was cut short (copied off a stick
                # pulled too early), and its tracks would read as blank entries
                raise UnreadableFile(
                    f"rekordbox export.pdb cut short: page {index} of a table lies past its"
                    f" end ({len(self.data):,} bytes)"
                )
            seen.add(index)
            page = self.data[index * self.page_size : (index + 1) * self.page_size]
            page_type, next_page = struct.unpack_from("<2I", page, 8)
            if page_type == kind and not page[0x1B] & _INDEX_PAGE:
                yield from self._page_rows(page)
            if index == last:
                break
            index = next_page

    def _page_rows(self, page: bytes) -> Iterator[tuple[bytes, int]]:
        counts = int.from_bytes(page[0x18:0x1B], "little")
        rows = counts & 0x1FFF
        for group in range((rows + 15) // 16):
            base = len(page) - group * _GROUP
            (present,) = struct.unpack_from("<H", page, base - 4)
            for row in range(16):
                if present & (1 << row):
                    (offset,) = struct.unpack_from("<H", page, base - 6 - 2 * row)
                    yield page, _HEAP_AT + offset


def read(path: Path) -> list[DJSet]:
    data = path.read_bytes()
    try:
        db = _Database(data)
        return _sets(path, db)
    except struct.error as exc:
        raise UnreadableFile(f"rekordbox export.pdb damaged: {exc}") from exc


def _sets(path: Path, db: _Database) -> list[DJSet]:
    if _HISTORY_PLAYLISTS not in db.tables:
        raise UnreadableFile("rekordbox export.pdb without history tables")
    names = {}
    for page, at in db.rows(_HISTORY_PLAYLISTS):
        (playlist_id,) = struct.unpack_from("<I", page, at)
        names[playlist_id] = _string(page, at + 4)
    entries: dict[int, list[tuple[int, int]]] = {}
    for page, at in db.rows(_HISTORY_ENTRIES):
        track_id, playlist_id, index = struct.unpack_from("<3I", page, at)
        entries.setdefault(playlist_id, []).append((index, track_id))
    if not entries:
        return []
    tracks = _tracks(db)
    sets = []
    for playlist_id, name in sorted(names.items()):
        played = sorted(entries.get(playlist_id, ()))
        if not played:
            continue
        sets.append(
            DJSet(
                source=SOURCE,
                url=file_uri(path, f"history/{playlist_id}"),
                title=name,
                tracks=[
                    _entry(position, tracks.get(track_id))
                    for position, (_, track_id) in enumerate(played, 1)
                ],
            )
        )
    return sets


def _tracks(db: _Database) -> dict[int, tuple[str | None, str | None, str | None, int | None]]:
    artists = {}
    for page, at in db.rows(_ARTISTS):
        subtype, _, artist_id = struct.unpack_from("<HHI", page, at)
        offset = struct.unpack_from("<H", page, at + 10)[0] if subtype & 0x04 else page[at + 9]
        artists[artist_id] = _string(page, at + offset)
    keys = {}
    for page, at in db.rows(_KEYS):
        (key_id,) = struct.unpack_from("<I", page, at)
        keys[key_id] = _string(page, at + 8)
    tracks = {}
    for page, at in db.rows(_TRACKS):
        (key_id,) = struct.unpack_from("<I", page, at + 0x20)
        artist_id, track_id = struct.unpack_from("<2I", page, at + 0x44)
        (duration,) = struct.unpack_from("<H", page, at + 0x54)
        (title_at,) = struct.unpack_from("<H", page, at + 0x5E + 2 * _TITLE_STRING)
        tracks[track_id] = (
            artists.get(artist_id),
            _string(page, at + title_at),
            keys.get(key_id),
            duration or None,
        )
    return tracks


def _entry(
    position: int, track: tuple[str | None, str | None, str | None, int | None] | None
) -> TrackEntry:
    artist, title, key, duration = track or (None, None, None, None)
    return TrackEntry(
        position=position,
        artist=artist,
        title=title,
        raw=render(artist, title),
        duration_s=duration,
        key=key,
    )
