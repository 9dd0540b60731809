"""CUE sheets: PERFORMER and TITLE per track, ``INDEX 01`` as the cue.

The Red Book form is ``mm:ss:ff`` (minutes, seconds, frames of 1/75 s; Mixxx writes
minutes past 99). rekordbox's recordings write ``hh:mm:ss`` instead and say so with
``REM RECORDED_BY "rekordbox-dj"`` (other readers, such as rbcue2txt, read them the
same way), unless a last field past 59 shows frames after all. Cues are whole
seconds, rounded down. The sheet's own PERFORMER and TITLE (before the first TRACK) are
the set's DJ and title; ``REM DATE`` (rekordbox adds a clock time) and ``REM GENRE``
are read when present. A track without PERFORMER keeps its TITLE as the title, which
normalization splits when it is "Artist - Title".
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

from crawler.exports._common import file_uri, render, text
from crawler.items import DJSet, TrackEntry, mark_tracks_seen

SOURCE = "cue"

_TRACK = re.compile(r"^\s*TRACK\s+\d+\s+\w+", re.M)
_INDEX = re.compile(r"^(\d+):(\d{1,2}):(\d{1,2})$")
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s|$)")
_HMS_WRITERS = ("rekordbox",)


def sniff(path: Path, head: str) -> bool:
    return bool(_TRACK.search(head)) and ("FILE " in head or "INDEX " in head)


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line, posix=True)
    except ValueError:  # an unbalanced quote
        return line.replace('"', " ").split()


def read(path: Path, lines: Iterator[str], max_tracks: int = 0) -> list[DJSet]:
    """The sheet, line by line; past ``max_tracks`` (0: no cap) tracks are only counted
    (their INDEX still tells whether the sheet's times have frames)."""
    sheet: dict[str, str] = {}
    rem: dict[str, str] = {}
    kept: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    seen = 0
    frames = False  # an INDEX whose last field is past 59: mm:ss:ff, whoever wrote it

    def close(fields: dict[str, str] | None) -> None:
        nonlocal seen, frames
        if fields is None:
            return
        frames = frames or _has_frames(fields.get("INDEX", ""))
        if text(fields.get("PERFORMER")) is None and text(fields.get("TITLE")) is None:
            return
        seen += 1
        if not max_tracks or seen <= max_tracks:
            kept.append(fields)

    for line in lines:
        words = _words(line.strip())
        if not words:
            continue
        command = words[0].upper()
        value = " ".join(words[1:])
        if command == "TRACK":
            close(current)
            current = {}
        elif command == "REM" and len(words) > 2 and current is None:
            rem[words[1].upper()] = " ".join(words[2:])
        elif command in ("PERFORMER", "TITLE"):
            (current if current is not None else sheet)[command] = value
        elif command == "INDEX" and current is not None and len(words) >= 3 and words[1] == "01":
            current["INDEX"] = words[2]
    close(current)
    hms = _writes_hms(rem, frames)
    entries: list[TrackEntry] = []
    for fields in kept:
        artist, title = text(fields.get("PERFORMER")), text(fields.get("TITLE"))
        if artist is None and title is None:
            continue
        entry = (
            TrackEntry(artist=artist, title=title, raw=render(artist, title))
            if artist
            else TrackEntry(title=title, raw=title)
        )
        entry.position = len(entries) + 1
        entry.cue_s = _cue(fields.get("INDEX", ""), hms)
        entries.append(entry)
    if not entries:
        return []
    performer = text(sheet.get("PERFORMER"))
    date_match = _ISO.match(text(rem.get("DATE")) or "")
    genre = text(rem.get("GENRE"))
    djset = DJSet(
        source=SOURCE,
        url=file_uri(path),
        title=text(sheet.get("TITLE")) or path.name.split(".", 1)[0] or path.stem,
        djs=[performer] if performer else [],
        date=date_match.group(1) if date_match else None,
        genres=[genre] if genre else [],
        tracks=entries,
    )
    mark_tracks_seen(djset, seen)
    return [djset]


def _has_frames(index: str) -> bool:
    match = _INDEX.match(index.strip())
    return match is not None and int(match.group(3)) >= 60


def _writes_hms(rem: dict[str, str], frames: bool) -> bool:
    """Whether the sheet's INDEX times are ``hh:mm:ss`` rather than ``mm:ss:ff``: said
    by the writer's mark, and never when a last field is past 59 (only frames go there)."""
    writer = rem.get("RECORDED_BY", "").casefold()
    return any(name in writer for name in _HMS_WRITERS) and not frames


def _cue(index: str, hms: bool = False) -> int | None:
    match = _INDEX.match(index.strip())
    if not match:
        return None
    first, second, third = map(int, match.groups())
    if hms:
        return first * 3600 + second * 60 + third
    return first * 60 + second + third // 75
