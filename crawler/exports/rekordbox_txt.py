"""rekordbox's "Export a playlist to a file (.txt)": tab-separated, UTF-16 with BOM.

The columns follow the user's view settings, so they are found by their header names
("Track Title", "Artist", "Label", ...), never by position.
"""

from __future__ import annotations

from pathlib import Path

from crawler.exports._common import file_uri, render, text
from crawler.exports._errors import UnreadableFile
from crawler.exports._text import decode
from crawler.items import DJSet, TrackEntry

SOURCE = "rekordbox"


def sniff(path: Path, head: str) -> bool:
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    return "\t" in first and "Track Title" in first


def read(path: Path, data: bytes) -> list[DJSet]:
    lines = decode(data).lstrip("\ufeff").splitlines()
    if not lines:
        raise UnreadableFile("empty rekordbox playlist")
    header = [h.strip() for h in lines[0].split("\t")]
    column = {name: i for i, name in enumerate(header)}
    if "Track Title" not in column:
        raise UnreadableFile("rekordbox .txt without a 'Track Title' column")

    def cell(row: list[str], name: str) -> str | None:
        i = column.get(name)
        return text(row[i]) if i is not None and i < len(row) else None

    tracks: list[TrackEntry] = []
    for line in lines[1:]:
        if not line.strip():
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
    return [DJSet(source=SOURCE, url=file_uri(path), title=path.stem, tracks=tracks)]
