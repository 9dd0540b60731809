"""VirtualDJ's ``History/tracklist.txt``: every session VirtualDJ appended to it.

Each session starts with "VirtualDJ History 2025/06/20" and a line of dashes, then one
"21:32 : Artist - Title" line per track played, the time of day it started. A session
is one set, dated by its header; cues count from its first line, going on past
midnight (a time earlier than the one before is the next day).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from crawler.exports._common import file_uri, text
from crawler.items import DJSet, TrackEntry, mark_tracks_seen

SOURCE = "virtualdj"
_HEADER = re.compile(r"^\s*VirtualDJ History (\d{4})/(\d{2})/(\d{2})\s*$")
_LINE = re.compile(r"^\s*(\d{1,2}):(\d{2}) : (.+?)\s*$")


def sniff(path: Path, head: str) -> bool:
    first = head.lstrip("\ufeff").lstrip().split("\n", 1)[0]
    return _HEADER.match(first.rstrip("\r")) is not None


def read(path: Path, lines: Iterator[str], max_tracks: int = 0) -> list[DJSet]:
    sets: list[DJSet] = []
    dates: dict[str, int] = {}
    current: DJSet | None = None
    seen = start = previous = day = 0
    for line in lines:
        if header := _HEADER.match(line):
            _close(current, seen, sets)
            date = "-".join(header.groups())
            dates[date] = dates.get(date, 0) + 1
            fragment = f"history/{date}" + (f"-{dates[date]}" if dates[date] > 1 else "")
            current = DJSet(
                source=SOURCE, url=file_uri(path, fragment), title=line.strip(), date=date
            )
            seen = 0
            continue
        match = _LINE.match(line)
        if current is None or match is None:
            continue
        minutes = int(match.group(1)) * 60 + int(match.group(2))
        if seen == 0:
            start, previous, day = minutes, minutes, 0
        elif minutes < previous:
            day += 1  # past midnight
        previous = minutes
        seen += 1
        if max_tracks and seen > max_tracks:
            continue
        raw = text(match.group(3))
        current.tracks.append(
            TrackEntry(position=seen, cue_s=(minutes + day * 1440 - start) * 60, raw=raw)
        )
    _close(current, seen, sets)
    return sets


def _close(djset: DJSet | None, seen: int, sets: list[DJSet]) -> None:
    if djset is not None and djset.tracks:
        mark_tracks_seen(djset, seen)
        sets.append(djset)
