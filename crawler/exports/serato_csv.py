"""Serato DJ history exported as CSV, and the rows both Serato exports share.

The first data row describes the session (its name, and its start date and time when
the user kept those columns); each following row is one track. Serato lets users choose
the columns, so they are found by their header names and any subset reads: without
"artist" the "name" cell is the whole "Artist - Title" or a title alone, and cues are
counted from "start time" only when the file has it. Dates are day-first with dots
(20.06.2019), US month-first with slashes (7/8/2022) or ISO; times 24-hour with colons
or dots (20.02.35), or with AM/PM, often followed by a time zone (EET, PDT, UTC+2).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from crawler.exports._common import file_uri, name_text, render, text
from crawler.exports._errors import UnreadableFile
from crawler.items import DJSet, TrackEntry, mark_tracks_seen

SOURCE = "serato"

# Columns only Serato's history writes; one of them beside "name" recognizes a file.
HISTORY_COLUMNS = frozenset({"start time", "end time", "playtime", "deck", "notes"})

_DATE = re.compile(r"(\d{1,4})([./-])(\d{1,2})\2(\d{2,4})")
_CLOCK = r"(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2}))?\s*(?P<half>[AaPp][Mm])?"
# A start time cell: a time of day, after a date when the cell has one ("8/5/23, 6:57:21
# AM PDT", "12/17/2018 8:32:09 PM"); "16.04.53 EEST" alone is a time, not a date.
_START = re.compile(r"^\s*(?:(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{2,4}),?\s+)?" + _CLOCK + r"(?!\d)")
_DURATION = re.compile(r"\s*(\d+):(\d{2}):(\d{2})\s*")


def header_cells(line: str) -> list[str]:
    """The header of a CSV line, folded: ``"name","artist"`` -> ["name", "artist"]."""
    try:
        cells = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return []
    return [c.strip().casefold() for c in cells]


def is_history_header(cells: Sequence[str]) -> bool:
    return "name" in cells and any(c in HISTORY_COLUMNS for c in cells)


def sniff(path: Path, head: str) -> bool:
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    return "," in first and is_history_header(header_cells(first))


def read(path: Path, lines: Iterator[str], max_tracks: int = 0) -> list[DJSet]:
    """The set of a CSV history, read row by row (``lines`` as the csv module wants
    them, ends kept): only the tracks kept stay in memory, however long the file."""
    table = (row for row in csv.reader(lines) if any(cell.strip() for cell in row))
    first = next(table, None)
    if first is None:
        raise UnreadableFile("Serato CSV without rows")
    header = [c.strip().casefold() for c in first]
    rows = (dict(zip(header, row, strict=False)) for row in table)
    return history_sets(path, rows, max_tracks)


def _date(value: str, *, anywhere: bool) -> dt.date | None:
    match = _START.match(value) if not anywhere else None
    text_ = match["date"] if match and match["date"] else (value if anywhere else None)
    found = _DATE.search(text_) if text_ else None
    if not found:
        return None
    a, sep, b, c = found.groups()
    try:
        if len(a) == 4:
            return dt.date(int(a), int(b), int(c))
        year = int(c) + (2000 if len(c) == 2 else 0)
        if sep == "/":
            return dt.date(year, int(a), int(b))
        return dt.date(year, int(b), int(a))
    except ValueError:
        return None


def _seconds(value: str) -> int | None:
    """Seconds after midnight of the time of day in a start time cell."""
    match = _START.match(value)
    if not match:
        return None
    h = int(match["h"])
    if match["half"]:
        h = h % 12 + (12 if match["half"].lower() == "pm" else 0)
    return h * 3600 + int(match["m"]) * 60 + int(match["s"] or 0)


def _entry(row: dict[str, str]) -> TrackEntry | None:
    name, artist = text(row.get("name")), text(row.get("artist"))
    label = text(row.get("label"))
    if artist:
        return TrackEntry(artist=artist, title=name, label=label, raw=render(artist, name, label))
    if name is None:
        return None
    # No artist: the name is a title, or the whole "Artist - Title" (normalized later).
    return TrackEntry(title=name, label=label, raw=render(None, name, label))


def history_sets(path: Path, rows: Iterable[dict[str, str]], max_tracks: int = 0) -> list[DJSet]:
    """The set of a Serato history: the session row, then one row per track.

    Rows are taken one at a time; past ``max_tracks`` (0: no cap) tracks are only
    counted, so that memory is bounded by the set as it will be stored.
    """
    entries = iter(rows)
    session = next(entries, None)
    if session is None:
        return []
    start = _seconds(session.get("start time", ""))
    tracks: list[TrackEntry] = []
    seen = 0
    previous = start
    day = 0
    for row in entries:
        entry = _entry(row)
        if entry is None:
            continue
        seen += 1
        if max_tracks and seen > max_tracks:
            continue
        seconds = _seconds(row.get("start time", ""))
        if seconds is not None and start is not None:
            if previous is not None and seconds < previous - 12 * 3600:
                day += 1  # past midnight
            previous = seconds
            entry.cue_s = max(0, seconds + day * 86400 - start)
        entry.position = len(tracks) + 1
        tracks.append(entry)
    if not tracks:
        return []
    name = text(session.get("name"))
    date = _date(session.get("start time", ""), anywhere=False) or _date(name or "", anywhere=True)
    djset = DJSet(
        source=SOURCE,
        url=file_uri(path),
        title=name or name_text(path),
        date=date.isoformat() if date else None,
        duration_s=_duration(session.get("playtime", "")),
        tracks=tracks,
    )
    mark_tracks_seen(djset, seen)
    return [djset]


def _duration(value: str) -> int | None:
    match = _DURATION.fullmatch(value)
    if not match:
        return None
    h, m, s = map(int, match.groups())
    return h * 3600 + m * 60 + s
