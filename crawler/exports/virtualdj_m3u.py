"""VirtualDJ history: an .m3u whose ``#EXTVDJ:`` comments carry tags per track.

Each comment holds small XML-like fields (``<artist>``, ``<title>``, ``<remix>``,
``<lastplaytime>`` as a Unix time, ``<time>`` as a local clock time); the play times
give the cues. Tracks without tags fall back to their file name.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path, PureWindowsPath

from crawler.exports._common import file_uri, name_text, render, text
from crawler.items import DJSet, TrackEntry, mark_tracks_seen

SOURCE = "virtualdj"

_FIELD = re.compile(r"<(\w+)>(.*?)</\1>", re.S)
_DATE_STEM = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def sniff(path: Path, head: str) -> bool:
    return "#EXTVDJ:" in head


def read(path: Path, lines: Iterator[str], max_tracks: int = 0) -> list[DJSet]:
    """The history, line by line; past ``max_tracks`` (0: no cap) entries are only
    counted."""
    tracks: list[TrackEntry] = []
    seen = 0
    fields: dict[str, str] | None = None
    first_play: int | None = None
    for line in lines:
        line = line.strip()
        if line.startswith("#EXTVDJ:"):
            fields = {k.lower(): html.unescape(v) for k, v in _FIELD.findall(line[8:])}
        elif line and not line.startswith("#"):
            seen += 1
            played = _int((fields or {}).get("lastplaytime"))
            if played is not None:
                first_play = played if first_play is None else first_play
            if not max_tracks or seen <= max_tracks:
                tracks.append(_track(len(tracks) + 1, fields or {}, line))
                if played is not None and first_play is not None:
                    tracks[-1].cue_s = max(0, played - first_play)
            fields = None
    if not tracks:
        return []
    date = None
    match = _DATE_STEM.search(path.stem)
    if match:
        date = match.group(0)
    djset = DJSet(
        source=SOURCE, url=file_uri(path), title=name_text(path), date=date, tracks=tracks
    )
    mark_tracks_seen(djset, seen)
    return [djset]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _track(position: int, fields: dict[str, str], location: str) -> TrackEntry:
    artist, title = text(fields.get("artist")), text(fields.get("title"))
    if artist is None and title is None:
        return TrackEntry(position=position, raw=text(PureWindowsPath(location).stem))
    return TrackEntry(
        position=position,
        artist=artist,
        title=title,
        version=text(fields.get("remix")),
        raw=render(artist, title),
    )
