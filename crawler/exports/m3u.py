"""Plain M3U / M3U8 playlists: ``#EXTINF:<length>,<Artist - Title>`` lines.

The EXTINF text is one line per track, so it goes to ``raw`` for the normalizer to
split ("Artist - Title", or a title alone); the length there is the track's, not a
time in the set, so no cues. Entries without EXTINF text fall back to their file name.
Track numbers in front of file names are taken off (decided for the whole playlist).
"""

from __future__ import annotations

from pathlib import Path

from crawler.exports._common import file_title, file_uri, strip_track_numbers, text
from crawler.exports._text import decode
from crawler.items import DJSet, TrackEntry

SOURCE = "m3u"


def sniff(path: Path, head: str) -> bool:
    start = head.lstrip("\ufeff \r\n\t")
    return start.startswith("#EXTM3U") or start.startswith("#EXTINF")


def read(path: Path, data: bytes) -> list[DJSet]:
    raws: list[str] = []
    title: str | None = None
    playlist: str | None = None
    for line in decode(data).lstrip("\ufeff").splitlines():
        line = line.strip()
        if line.startswith("#EXTINF:"):
            title = text(line[8:].split(",", 1)[1]) if "," in line else None
        elif line.startswith("#PLAYLIST:"):
            playlist = text(line[10:])
        elif line and not line.startswith("#"):
            raw = title or file_title(line)
            if raw:
                raws.append(raw)
            title = None
    tracks = [
        TrackEntry(position=i, title=None if clean == raw else clean, raw=raw)
        for i, (raw, clean) in enumerate(zip(raws, strip_track_numbers(list(raws)), strict=True), 1)
    ]
    if not tracks:
        return []
    return [DJSet(source=SOURCE, url=file_uri(path), title=playlist or path.stem, tracks=tracks)]
