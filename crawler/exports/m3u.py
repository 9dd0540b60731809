"""Plain M3U / M3U8 playlists: ``#EXTINF:<length>,<Artist - Title>`` lines.

The EXTINF text is one line per track, so it goes to ``raw`` for the normalizer to
split ("Artist - Title", or a title alone); the length there is the track's, not a
time in the set, so no cues. Entries without EXTINF text fall back to their file name.
Track numbers in front of file names are taken off (decided for the whole playlist).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from crawler.exports._common import file_title, file_uri, name_text, strip_track_numbers, text
from crawler.items import DJSet, TrackEntry, mark_tracks_seen

SOURCE = "m3u"


def sniff(path: Path, head: str) -> bool:
    start = head.lstrip("\ufeff \r\n\t")
    return start.startswith("#EXTM3U") or start.startswith("#EXTINF")


def read(path: Path, lines: Iterator[str], max_tracks: int = 0) -> list[DJSet]:
    """The playlist, line by line; past ``max_tracks`` (0: no cap) entries are only
    counted."""
    raws: list[str] = []
    seen = 0
    title: str | None = None
    playlist: str | None = None
    for line in lines:
        line = line.strip()
        if line.startswith("#EXTINF:"):
            title = text(line[8:].split(",", 1)[1]) if "," in line else None
        elif line.startswith("#PLAYLIST:"):
            playlist = text(line[10:])
        elif line and not line.startswith("#"):
            raw = title or file_title(line)
            if raw:
                seen += 1
                if not max_tracks or seen <= max_tracks:
                    raws.append(raw)
            title = None
    tracks = [
        TrackEntry(position=i, title=None if clean == raw else clean, raw=raw)
        for i, (raw, clean) in enumerate(zip(raws, strip_track_numbers(list(raws)), strict=True), 1)
    ]
    if not tracks:
        return []
    djset = DJSet(
        source=SOURCE, url=file_uri(path), title=playlist or name_text(path), tracks=tracks
    )
    mark_tracks_seen(djset, seen)
    return [djset]
