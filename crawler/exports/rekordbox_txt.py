"""rekordbox's "Export a playlist to a file (.txt)": tab-separated, UTF-16 with BOM.

The columns follow the user's view settings, so they are found by their header names
("Track Title", "Artist", "Label", ...), never by position.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from crawler.exports._common import file_uri, name_text, render, text
from crawler.exports._errors import UnreadableFile
from crawler.items import DJSet, TrackEntry, mark_tracks_seen

SOURCE = "rekordbox"


def sniff(path: Path, head: str) -> bool:
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    return "\t" in first and "Track Title" in first


def read(path: Path, lines: Iterator[str], max_tracks: int = 0) -> list[DJSet]:
    """The playlist, line by line; past ``max_tracks`` (0: no cap) rows are only
    counted."""
    first = next(lines, None)
    if first is None:
        raise UnreadableFile("empty rekordbox playlist")
    header = [h.strip() for h in first.split("\t")]
    column = {name: i for i, name in enumerate(header)}
    if "Track Title" not in column:
        raise UnreadableFile("rekordbox .txt without a 'Track Title' column")

    def cell(row: list[str], name: str) -> str | None:
        i = column.get(name)
        return text(row[i]) if i is not None and i < len(row) else None

    tracks: list[TrackEntry] = []
    seen = 0
    for line in lines:
        if not line.strip():
            continue
        seen += 1
        if max_tracks and seen > max_tracks:
            continue
        row = line.split("\t")
        artist, title, label = cell(row, "Artist"), cell(row, "Track Title"), cell(row, "Label")
        version = cell(row, "Mix Name") or cell(row, "Mix")
        if version and version.casefold() == "original mix":
            version = None
        tracks.append(
            TrackEntry(
                position=len(tracks) + 1,
                artist=artist,
                title=title,
                version=version,
                label=label,
                raw=render(artist, title, label),
            )
        )
    if not tracks:
        return []
    djset = DJSet(source=SOURCE, url=file_uri(path), title=name_text(path), tracks=tracks)
    mark_tracks_seen(djset, seen)
    return [djset]
