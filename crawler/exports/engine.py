"""Engine DJ 2.x and Engine Prime 1.x (Denon, Numark): history lists from their SQLite.

Engine DJ 2.x keeps each session a player or the desktop recorded in ``Historylist``
(start time as Unix seconds and the IANA time zone it was played in) and its tracks in
``HistorylistEntity`` with the time each started: the player adds a track when it was
played, so every row is a played one. Engine Prime 1.x keeps history lists as ``List``
rows of type 2 with their tracks in ``ListTrackList``, in play order but without times.
Either lives in ``Engine Library/Database2/hm.db`` / ``m.db`` (2.x) or
``Engine Library/m.db`` / ``hm.db`` (1.x). Track names are in ``Track`` (2.x) or
``MetaData`` (1.x) of the same file.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.exports._common import file_uri, render, text
from crawler.exports._errors import UnreadableFile
from crawler.exports._sqlite import columns, is_sqlite, open_readonly, tables
from crawler.items import DJSet, TrackEntry

SOURCE = "engine"
_NAMES = ("m.db", "hm.db")
_V1_HISTORY = 2
"""``List.type`` of a history list in Engine Prime 1.x (1 playlist, 3 prepare, 4 crate)."""
_V1_TITLE, _V1_ARTIST, _V1_KEY = 1, 2, 4
"""``MetaData`` / ``MetaDataInteger`` types in Engine Prime 1.x."""


def sniff(path: Path, head: bytes) -> bool:
    return is_sqlite(head) and path.name.lower() in _NAMES


def camelot(key: object) -> str | None:
    """Engine's key number as Camelot: 0 C major, 1 A minor, then round the circle of
    fifths (2 G major, 3 E minor, ...); C major is 8B, A minor 8A."""
    if not isinstance(key, int) or not 0 <= key < 24:
        return None
    return f"{(7 + key // 2) % 12 + 1}{'A' if key % 2 else 'B'}"


def _is_v2(names: set[str]) -> bool:
    return {"Historylist", "HistorylistEntity", "Track"} <= names


def _is_v1(names: set[str]) -> bool:
    return {"List", "ListTrackList", "MetaData"} <= names


def owns(names: set[str]) -> bool:
    """Whether a SQLite database with these tables is an Engine DJ library (2.x or 1.x)."""
    return _is_v2(names) or _is_v1(names)


def read(path: Path) -> list[DJSet]:
    with open_readonly(path) as conn:
        names = tables(conn)
        if _is_v2(names):
            return _read_v2(path, conn)
        if _is_v1(names):
            return _read_v1(path, conn)
    raise UnreadableFile("SQLite database without Engine history lists (Historylist or List)")


def _read_v2(path: Path, conn: sqlite3.Connection) -> list[DJSet]:
    deleted = "AND NOT IFNULL(isDeleted, 0)" if "isDeleted" in columns(conn, "Historylist") else ""
    lists = conn.execute(
        f"SELECT id, title, startTime, timezone FROM Historylist WHERE 1 {deleted} ORDER BY id"
    ).fetchall()
    sets = []
    for list_id, name, start, zone in lists:
        rows = conn.execute(
            "SELECT t.artist, t.title, t.key, t.length, e.startTime FROM HistorylistEntity e"
            " JOIN Track t ON t.id = e.trackId WHERE e.listId = ? ORDER BY e.startTime, e.id",
            (list_id,),
        ).fetchall()
        if not rows:
            continue
        where = _zone(zone)
        begin = _seconds(start)
        if begin is None:
            begin = next((s for s in (_seconds(r[4]) for r in rows) if s is not None), None)
        tracks = [
            _entry(position, artist, title, key, length, _cue(_seconds(at), begin))
            for position, (artist, title, key, length, at) in enumerate(rows, 1)
        ]
        local = datetime.fromtimestamp(begin, where) if begin is not None else None
        sets.append(
            DJSet(
                source=SOURCE,
                url=file_uri(path, f"history/{list_id}"),
                title=text(name) or (local.strftime("%Y-%m-%d %H:%M") if local else None),
                date=local.date().isoformat() if local else None,
                tracks=tracks,
            )
        )
    return sets


def _read_v1(path: Path, conn: sqlite3.Connection) -> list[DJSet]:
    lists = conn.execute(
        "SELECT id, title FROM List WHERE type = ? AND NOT IFNULL(isFolder, 0) ORDER BY id",
        (_V1_HISTORY,),
    ).fetchall()
    key_table = "MetaDataInteger" in tables(conn)
    key = (
        f"(SELECT value FROM MetaDataInteger k WHERE k.id = l.trackId AND k.type = {_V1_KEY})"
        if key_table
        else "NULL"
    )
    meta = "(SELECT text FROM MetaData m WHERE m.id = l.trackId AND m.type = {})"
    sets = []
    for list_id, name in lists:
        rows = conn.execute(
            f"SELECT {meta.format(_V1_ARTIST)}, {meta.format(_V1_TITLE)}, {key}, t.length"
            " FROM ListTrackList l LEFT JOIN Track t ON t.id = l.trackId"
            " WHERE l.listId = ? AND l.listType = ? ORDER BY l.id",
            (list_id, _V1_HISTORY),
        ).fetchall()
        if not rows:
            continue
        title = text(name)
        sets.append(
            DJSet(
                source=SOURCE,
                url=file_uri(path, f"history/{list_id}"),
                title=title,
                date=_iso_date(title),
                tracks=[
                    _entry(position, artist, track_title, key_number, length, None)
                    for position, (artist, track_title, key_number, length) in enumerate(rows, 1)
                ],
            )
        )
    return sets


def _entry(
    position: int, artist: object, title: object, key: object, length: object, cue: int | None
) -> TrackEntry:
    artist_text = text(artist) if isinstance(artist, str) else None
    title_text = text(title) if isinstance(title, str) else None
    return TrackEntry(
        position=position,
        cue_s=cue,
        artist=artist_text,
        title=title_text,
        raw=render(artist_text, title_text),
        duration_s=length if isinstance(length, int) and length > 0 else None,
        key=camelot(key),
    )


def _seconds(value: object) -> int | None:
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
    return None


def _cue(at: int | None, begin: int | None) -> int | None:
    if at is None or begin is None:
        return None
    return max(0, at - begin)


def _zone(name: object) -> tzinfo:
    """The session's own time zone, so that its date is the one the DJ saw; UTC when the
    list names none or this machine lacks it."""
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def _iso_date(title: str | None) -> str | None:
    if title and len(title) >= 10:
        try:
            return datetime.strptime(title[:10], "%Y-%m-%d").date().isoformat()
        except ValueError:
            return None
    return None
