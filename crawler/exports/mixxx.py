"""Mixxx's own library, ``mixxxdb.sqlite``: every history session a set.

Mixxx keeps its history as playlists with ``hidden = 2`` (one per session, named by the
local date it started, "2023-05-08 (2)" for the second that day). A track joins the
session's playlist when Mixxx counts it as played (it was audible on the main output,
not only loaded or previewed), with the UTC time in ``pl_datetime_added``: that time,
less the session's first, is the cue. Sessions where nothing was played are skipped.

Rows are read in one pass, a session at a time, from a read-only connection (``_sqlite``).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from crawler.exports._common import file_uri, render, text
from crawler.exports._errors import UnreadableFile
from crawler.exports._sqlite import columns, is_sqlite, open_readonly, tables
from crawler.items import DJSet, TrackEntry

SOURCE = "mixxx"
HISTORY = 2
"""``Playlists.hidden`` of history sessions (0: a user's playlist, 1: Auto DJ)."""
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})\b")


def sniff(path: Path, head: bytes) -> bool:
    return is_sqlite(head) and path.name.lower().startswith("mixxxdb")


def owns(names: set[str]) -> bool:
    """Whether a SQLite database with these tables is a Mixxx library."""
    return {"Playlists", "PlaylistTracks", "library"} <= names


def read(path: Path) -> list[DJSet]:
    with open_readonly(path) as conn:
        if not owns(tables(conn)):
            raise UnreadableFile("SQLite database without Mixxx's Playlists and library tables")
        key = "l.key" if "key" in columns(conn, "library") else "NULL"
        names = {
            pid: (name, created)
            for pid, name, created in conn.execute(
                "SELECT id, name, date_created FROM Playlists WHERE hidden = ?", (HISTORY,)
            )
        }
        # One pass over every history row, sessions in order: Mixxx has no index on
        # PlaylistTracks.playlist_id, so a query per session would scan the table each time.
        rows = conn.execute(
            f"SELECT t.playlist_id, l.artist, l.title, {key}, l.duration, t.pl_datetime_added"
            " FROM Playlists p JOIN PlaylistTracks t ON t.playlist_id = p.id"
            " JOIN library l ON l.id = t.track_id"
            " WHERE p.hidden = ? ORDER BY t.playlist_id, t.position, t.id",
            (HISTORY,),
        )
        sets = []
        for playlist_id, session in groupby(rows, key=itemgetter(0)):
            name, created = names[playlist_id]
            sets.append(_session(path, playlist_id, name, created, [r[1:] for r in session]))
    return sets


def _session(
    path: Path, playlist_id: int, name: str | None, created: object, rows: list[sqlite3.Row]
) -> DJSet:
    times = [_time(row[4]) for row in rows]
    start = next((t for t in times if t is not None), None)
    tracks = []
    for position, ((artist, title, key, duration, _added), at) in enumerate(
        zip(rows, times, strict=True), 1
    ):
        artist, title = text(artist), text(title)
        tracks.append(
            TrackEntry(
                position=position,
                cue_s=None if at is None or start is None else int((at - start).total_seconds()),
                artist=artist,
                title=title,
                raw=render(artist, title),
                duration_s=_seconds(duration),
                key=text(key),
            )
        )
    title = text(name)
    return DJSet(
        source=SOURCE,
        url=file_uri(path, f"history/{playlist_id}"),
        title=title,
        date=_date(title, created),
        tracks=tracks,
    )


def _seconds(duration: object) -> int | None:
    return round(duration) if isinstance(duration, int | float) and duration > 0 else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def _date(name: str | None, created: object) -> str | None:
    """The date the session is named by (Mixxx names it by its local start date, so a
    session over midnight keeps one date), else the day it was created."""
    if name and (match := _ISO_DATE.match(name)):
        return match.group(1)
    when = _time(created)
    return when.date().isoformat() if when else None
