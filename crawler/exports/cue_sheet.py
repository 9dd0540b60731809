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
from dataclasses import dataclass, field
from pathlib import Path

from crawler.exports._common import file_uri, name_text, render, text
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
    sheet = _Sheet(max_tracks)
    for line in lines:
        words = _words(line.strip())
        if words:
            sheet.take(words)
    sheet.close_track()
    entries = _entries(sheet.kept, _writes_hms(sheet.rem, sheet.frames))
    if not entries:
        return []
    performer = text(sheet.fields.get("PERFORMER"))
    date_match = _ISO.match(text(sheet.rem.get("DATE")) or "")
    genre = text(sheet.rem.get("GENRE"))
    name = name_text(path)
    djset = DJSet(
        source=SOURCE,
        url=file_uri(path),
        title=text(sheet.fields.get("TITLE")) or name.split(".", 1)[0] or name,
        djs=[performer] if performer else [],
        date=date_match.group(1) if date_match else None,
        genres=[genre] if genre else [],
        tracks=entries,
    )
    mark_tracks_seen(djset, sheet.seen)
    return [djset]


@dataclass
class _Sheet:
    """What a sheet said so far: its own fields, its REM lines, the tracks kept."""

    max_tracks: int
    fields: dict[str, str] = field(default_factory=dict)
    rem: dict[str, str] = field(default_factory=dict)
    kept: list[dict[str, str]] = field(default_factory=list)
    current: dict[str, str] | None = None
    seen: int = 0
    frames: bool = False
    """An INDEX whose last field is past 59: mm:ss:ff, whoever wrote it."""

    def take(self, words: list[str]) -> None:
        """One command line, split into words."""
        command = words[0].upper()
        if command == "TRACK":
            self.close_track()
            self.current = {}
        elif command == "REM" and len(words) > 2 and self.current is None:
            self.rem[words[1].upper()] = " ".join(words[2:])
        elif command in ("PERFORMER", "TITLE"):
            target = self.current if self.current is not None else self.fields
            target[command] = " ".join(words[1:])
        elif command == "INDEX" and self.current is not None and _is_index_01(words):
            self.current["INDEX"] = words[2]

    def close_track(self) -> None:
        """Count the track being read, and keep it while under the cap."""
        if self.current is None:
            return
        fields = self.current
        self.frames = self.frames or _has_frames(fields.get("INDEX", ""))
        if text(fields.get("PERFORMER")) is None and text(fields.get("TITLE")) is None:
            return
        self.seen += 1
        if not self.max_tracks or self.seen <= self.max_tracks:
            self.kept.append(fields)


def _is_index_01(words: list[str]) -> bool:
    """``INDEX 01 mm:ss:ff``: where a track starts (``INDEX 00`` is its pregap)."""
    return len(words) >= 3 and words[1] == "01"


def _entries(kept: list[dict[str, str]], hms: bool) -> list[TrackEntry]:
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
    return entries


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
