"""Playlists exported as CSV by Engine DJ and VirtualDJ (and spreadsheets made from them).

VirtualDJ writes a UTF-8 BOM and an Excel ``sep=,`` line before the header; both
programs name their columns, so the columns are found by name and any order reads:
title ("Title", "Song", "Track Title", "Name"), artist, and when present key, remix,
label, length and a start time (a time of day: cues count from the first). The file is
one set named after the file. Rows are streamed like the other CSV readers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from crawler.exports._common import file_uri, name_text, render, text
from crawler.exports._errors import UnreadableFile
from crawler.items import DJSet, TrackEntry, mark_tracks_seen

SOURCE = "playlist_csv"
_SEP = re.compile(r"^\ufeff?\s*sep=(.)\s*$", re.I)
_TITLE = ("title", "song", "track title", "track", "name", "song title")
_ARTIST = ("artist", "artists", "author")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _header(line: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []
    return [c.strip().lstrip("\ufeff").strip('"').casefold() for c in cells]


def sniff(path: Path, head: str) -> bool:
    lines = head.lstrip("\ufeff").split("\n", 2)
    delimiter = ","
    if (sep := _SEP.match(lines[0].rstrip("\r"))) is not None:
        delimiter = sep.group(1)
        if len(lines) < 2:
            return False
        first = lines[1]
    elif path.suffix.lower() == ".csv":
        first = lines[0]
    else:
        return False
    header = _header(first.rstrip("\r"), delimiter)
    return _column(header, _TITLE) is not None and _column(header, _ARTIST) is not None


def read(path: Path, lines: Iterator[str], max_tracks: int = 0) -> list[DJSet]:
    first = next(lines, "")
    delimiter = ","
    if (sep := _SEP.match(first.rstrip("\r\n"))) is not None:
        delimiter = sep.group(1)
    else:
        lines = _chain(first, lines)
    table = (row for row in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in row))
    header = [c.strip().lstrip("\ufeff").casefold() for c in next(table, [])]
    title_at, artist_at = _column(header, _TITLE), _column(header, _ARTIST)
    if title_at is None:
        raise UnreadableFile("playlist CSV without a title column")
    cols = {
        name: _column(header, names)
        for name, names in {
            "key": ("key", "musical key"),
            "version": ("remix", "version", "mix"),
            "label": ("label", "record label"),
            "length": ("length", "duration", "time length"),
            "start": ("start time", "played", "time"),
        }.items()
    }
    tracks: list[TrackEntry] = []
    seen, first_start, day, previous = 0, None, 0, None
    for row in table:
        cell = _cells(row)
        title, artist = text(cell(title_at)), text(cell(artist_at))
        if title is None and artist is None:
            continue
        seen += 1
        if max_tracks and seen > max_tracks:
            continue
        start = _time(cell(cols["start"]))
        cue = None
        if start is not None:
            if previous is not None and start < previous - 12 * 3600:
                day += 1  # past midnight
            previous = start
            first_start = start if first_start is None else first_start
            cue = start + day * 86400 - first_start
        label = text(cell(cols["label"]))
        tracks.append(
            TrackEntry(
                position=len(tracks) + 1,
                cue_s=cue,
                artist=artist,
                title=title,
                version=text(cell(cols["version"])),
                label=label,
                raw=render(artist, title, label),
                duration_s=_length(cell(cols["length"])),
                key=text(cell(cols["key"])),
            )
        )
    if not tracks:
        return []
    date = _ISO_DATE.search(path.stem)
    djset = DJSet(
        source=SOURCE,
        url=file_uri(path),
        title=name_text(path),
        date="-".join(date.groups()) if date else None,
        tracks=tracks,
    )
    mark_tracks_seen(djset, seen)
    return [djset]


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _cells(row: list[str]) -> Callable[[int | None], str | None]:
    def cell(index: int | None) -> str | None:
        return row[index] if index is not None and index < len(row) else None

    return cell


def _time(value: str | None) -> int | None:
    match = _TIME.match(value or "")
    if not match:
        return None
    h, m, s = match.groups()
    return int(h) * 3600 + int(m) * 60 + int(s or 0)


def _length(value: str | None) -> int | None:
    """A track length: "5:02" (minutes and seconds) or seconds."""
    if not value:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return round(float(value)) or None
    parts = value.split(":")
    if len(parts) in (2, 3) and all(p.isdigit() for p in parts):
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + int(part)
        return seconds or None
    return None
