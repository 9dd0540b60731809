"""Small helpers shared by the export readers."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote, unquote, urlsplit

from crawler.sites._text import clean as text  # one whitespace rule for pages and exports

__all__ = ["file_title", "file_uri", "name_text", "render", "strip_track_numbers", "text"]

# A track number in front of a file name or playlist line: "01 ", "1-01 " (disc and
# track), "09. ", "10 - ". Zero-padded and disc forms are always numbers; "10 CAKE" or
# "50 Cent" only when most entries of the playlist are numbered so.
_TRACK_NUMBER = re.compile(r"^(?:\d{1,2}-)?(?P<n>\d{2})(?:\s*[.)_-]\s*|\s+)(?=\S)")
_CERTAIN_NUMBER = re.compile(r"^(?:\d{1,2}-\d{2}|0\d)(?:\s*[.)_-]\s*|\s+)(?=\S)")


def file_uri(path: Path, fragment: str | None = None) -> str:
    """The ``file://`` URI of a file, with an optional fragment naming a playlist in it.

    Files holding several playlists (NML, rekordbox XML) give each set its own URL, so
    that the store, which keys sets by URL, keeps them apart.
    """
    uri = path.resolve().as_uri()
    if fragment:
        uri += "#" + quote(fragment, safe="/ ").replace(" ", "%20")
    return uri


def name_text(path: Path) -> str:
    """A file's name without its extension, as text. A name that is not UTF-8 (cp1252
    from a Windows machine, say) reaches Python as surrogate escapes, which became "�" in
    titles: its bytes are read as cp1252, else latin-1."""
    stem = path.stem
    try:
        raw = stem.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # surrogates not from the file system: leave them be
        return stem
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return stem  # pragma: no cover - latin-1 decodes any bytes


def render(artist: str | None, title: str | None, label: str | None = None) -> str | None:
    """A faithful one-line rendering of structured fields, for ``TrackEntry.raw``."""
    line = " - ".join(x for x in (artist, title) if x)
    if label:
        line = f"{line} [{label}]" if line else f"[{label}]"
    return line or None


def file_title(location: str | None) -> str | None:
    """The name of a track file without folders and extension: what a playlist entry
    says when its tags are missing. Windows, POSIX and ``file://`` locations read."""
    if not location:
        return None
    if location.startswith("file:"):
        location = unquote(urlsplit(location).path)
    path = PureWindowsPath(location) if "\\" in location else PurePosixPath(location)
    return text(path.stem.replace("/:", "/"))


def strip_track_numbers(texts: list[str | None]) -> list[str | None]:
    """The texts without the track numbers file names put in front of them.

    Decided for the whole playlist, so that "09 Cake - X" and "10 Cake - Y" lose their
    numbers alike, while a playlist where only "50 Cent - In Da Club" starts with digits
    keeps them.
    """
    present = [t for t in texts if t]
    numbered = sum(1 for t in present if _TRACK_NUMBER.match(t))
    pattern = _TRACK_NUMBER if numbered >= 2 and numbered * 2 >= len(present) else _CERTAIN_NUMBER
    return [pattern.sub("", t, count=1) if t else t for t in texts]
