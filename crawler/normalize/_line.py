"""One hand-written tracklist line -> TrackEntry.

The line is read left to right: list markers and numbering, cue times and "w/" at the
start; then the first dash (outside brackets) that splits artist from title; then,
from the end of the title, a label, featured credits and the version. Every regex is
compiled once and guarded by a cheap test, so a plain "Artist - Title" line costs a
few string operations.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from crawler.items import TrackEntry
from crawler.normalize._credits import (
    bracket_depth,
    is_note,
    is_original,
    is_unknown,
    is_version,
    merge_names,
    split_artist,
    split_title,
    trailing_group,
    without_main,
)
from crawler.normalize._text import clean_text, refine, refine_names, strip_controls

# h:mm:ss, or m:ss with any number of minutes ("[63:21]" is 3801 s).
_CUE = r"(?:(?P<h>\d{1,2}):(?P<hm>[0-5]?\d)|(?P<m>\d{1,3})):(?P<s>[0-5]\d)"
_BRACKET_CUE = re.compile(r"[\[(]\s*" + _CUE + r"\s*[\])]" + r"(?:\s*[-–—:|]\s+|\s*)")
# "21:05 : Artist - Title" (VirtualDJ's tracklist.txt) puts a colon after the time.
_BARE_CUE = re.compile(_CUE + r"(?:\s*[-–—|]\s+|\s+:\s+|\s+)")
_WITH = re.compile(r"[wW]/\s*")
_BULLET = re.compile(r"[-–—*•·]\s+")
# Numbering: "#1", "[01]", "01.", "1)", "01.Lifeblood", "01 Artist" (padded only: "2
# Unlimited", "808 State" and "50 Cent" are artists), "1 - Artist - Title".
_HASH_NUM = re.compile(r"#\s*(\d{1,4})[.):]?\s+")
_BRACKET_NUM = re.compile(r"\[(\d{1,4})\]\s*")
_DOT_NUM = re.compile(r"(\d{1,3})[.)](?!\d)\s*")
# A zero-padded number is numbering, with a dash after it too: "01 - Track" is "Track".
_PADDED_NUM = re.compile(r"(0\d{1,2})(?:\s*[-–—]\s+|\s+)")
_DASH_NUM = re.compile(r"(\d{1,3})\s*[-–—]\s+")
_UNKNOWN_MAX = 14  # no placeholder ("ID", "Unknown Artist") is longer
_PREFIX_START = frozenset("0123456789[(#wW-–—*•·")

_SEPARATOR = re.compile(r"\s+(?:--?|−−|[–—‒―−])\s+")
# Typed with one space missing ("Kate Bush -Running Up That Hill"), tried last.
_LOOSE_SEPARATOR = re.compile(r"(?<=\w) [-–—](?=[^\s\d\-–—])|(?<=[^\s\-–—])[-–—] (?=\S)")
_TRAILING_CUE = re.compile(
    r"\s+(?:[\[(]\s*" + _CUE + r"\s*[\])]|(?P<th>\d{1,2}):(?P<tm>[0-5]\d):(?P<ts>[0-5]\d))$"
)
# The separators of video titles, tried when no dash splits the line: "BLESSED ~
# Sorrows", "YOUNHA _ Get It?".
_OTHER_SEPARATOR = re.compile(r"\s+[~_]\s+")
# K-pop video titles and some lists: Artist "Title" [M/V].
_QUOTED_TITLE = re.compile(r"^(?P<artist>[^\"“]+?)\s*[\"“](?P<title>[^\"”]+)[\"”]\s*(?P<rest>.*)$")
# A file name's extension left on a line made from a file: "show me - B-free.m4v".
_EXTENSION = re.compile(
    r"\s*\.(?:mp3|mp4|m4a|m4v|mov|flac|wav|aiff?|ogg|opus|webm|mkv|avi|wma)$", re.I
)
_EXTENSION_END = 6  # the longest extension with its dot (".flac", ".aiff", ".webm")
# A leading "[MV]" or "[Official MV]" on a video title.
_LEADING_FLUFF = re.compile(r"^[\[(](?:official\s+)?(?:mv|m/v|music\s+video)[\])]\s*", re.I)
# "(Original Mix) Gem Records": a version group with the label written after it.
_LABEL_AFTER_VERSION = re.compile(r"\s*([(\[])([^()\[\]]+)[)\]]\s+([^()\[\]\-–—]+)$")


def _seconds(m: re.Match[str]) -> int:
    if m.group("h") is not None:
        return int(m.group("h")) * 3600 + int(m.group("hm")) * 60 + int(m.group("s"))
    return int(m.group("m")) * 60 + int(m.group("s"))


def _has_separator(text: str) -> bool:
    return _find_separator(text) is not None


def _find_separator(text: str) -> tuple[int, int] | None:
    """Span of the first dash between artist and title, outside brackets.

    ``text`` is clean (single spaces), so ASCII text can only hold " - " or " -- ",
    found with str.find rather than the regex.
    """
    if text.isascii():
        i = text.find(" -")
        while i >= 0:
            if text.startswith(" - ", i):
                end = i + 3
            elif text.startswith(" -- ", i):
                end = i + 4
            else:
                i = text.find(" -", i + 2)
                continue
            head = text[:i]
            if ("(" not in head and "[" not in head) or bracket_depth(text, i) <= 0:
                return i, end
            i = text.find(" -", end - 1)
        return None
    for m in _SEPARATOR.finditer(text):
        if bracket_depth(text, m.start()) <= 0:
            return m.start(), m.end()
    return None


def _find_loose_separator(text: str) -> tuple[int, int] | None:
    for m in _LOOSE_SEPARATOR.finditer(text):
        if bracket_depth(text, m.start()) <= 0:
            return m.start(), m.end()
    return None


def _find_other(text: str) -> tuple[int, int] | None:
    if "~" not in text and "_" not in text:
        return None
    for m in _OTHER_SEPARATOR.finditer(text):
        if bracket_depth(text, m.start()) <= 0:
            return m.start(), m.end()
    return None


def _prefix(text: str, entry: TrackEntry) -> str:
    """Strip list markers, numbering, cue times and "w/" from the start, filling entry."""
    pos = 0
    if (bullet := _BULLET.match(text)) is not None:
        pos = bullet.end()
    for _ in range(4):
        step = _PREFIX_STEPS.get(text[pos]) if pos < len(text) else None
        after = step(text, pos, entry) if step is not None else None
        if after is None:
            break
        pos = after
    return text[pos:]


def _with_step(text: str, pos: int, entry: TrackEntry) -> int | None:
    """A "w/" (played with the previous track), once; the position after it, or None."""
    m = _WITH.match(text, pos)
    if m is None or entry.with_previous:
        return None
    entry.with_previous = True
    return m.end()


def _bracket_step(text: str, pos: int, entry: TrackEntry) -> int | None:
    """A bracketed cue time ("[63:21]") or number ("[01]"; a second one, MixesDB's
    "[012]", is minute 12)."""
    m = _BRACKET_CUE.match(text, pos)
    if m is not None and entry.cue_s is None:
        entry.cue_s = _seconds(m)
        return m.end()
    m = _BRACKET_NUM.match(text, pos)
    if m is None or m.end() >= len(text):
        return None
    if entry.position is None:
        entry.position = int(m.group(1))
    elif entry.cue_s is None:
        entry.cue_s = int(m.group(1)) * 60
    else:
        return None
    return m.end()


def _hash_step(text: str, pos: int, entry: TrackEntry) -> int | None:
    """A "#1" position, when none was read yet."""
    m = _HASH_NUM.match(text, pos)
    if m is None or entry.position is not None:
        return None
    entry.position = int(m.group(1))
    return m.end()


def _digit_step(text: str, pos: int, entry: TrackEntry) -> int | None:
    """A bare cue time ("21:05 ") first, else numbering ("01.", "1)", "01 ")."""
    if entry.cue_s is None and (m := _BARE_CUE.match(text, pos)) is not None:
        entry.cue_s = _seconds(m)
        return m.end()
    if entry.position is not None:
        return None
    numbering = _numbering(text, pos)
    if numbering is None or numbering.end() >= len(text):
        return None
    entry.position = int(numbering.group(1))
    return numbering.end()


def _numbering(text: str, pos: int) -> re.Match[str] | None:
    m = _DOT_NUM.match(text, pos)
    if m is None:
        m = _DASH_NUM.match(text, pos)
        # "311 - Amber" is an artist: a number is a position only when a separator is
        # left behind it.
        if m is not None and not _has_separator(text[m.end() :]):
            m = None
    if m is None:
        m = _PADDED_NUM.match(text, pos)
    return m


_PrefixStep = Callable[[str, int, TrackEntry], int | None]
# What may start a line's prefix, by its first character; the list markers of
# _PREFIX_START have no step here: past the leading bullet, they end the prefix.
_PREFIX_STEPS: dict[str, _PrefixStep] = {
    "w": _with_step,
    "W": _with_step,
    "[": _bracket_step,
    "(": _bracket_step,
    "#": _hash_step,
    **dict.fromkeys("0123456789", _digit_step),
}


def _label(title: str) -> tuple[str, str | None]:
    """Take a label off the end of a title: "[NINJA TUNE]", or words after a version."""
    group = trailing_group(title)
    if group is not None:
        return _bracketed_label(title, *group)
    m = _LABEL_AFTER_VERSION.search(title) if "(" in title or "[" in title else None
    if m is not None and m.start() > 0:
        return _label_after_version(title, m)
    return title, None


def _bracketed_label(title: str, start: int, inner: str, opener: str) -> tuple[str, str | None]:
    """A title's trailing group: a label when square-bracketed and not a version, an
    original mix or a featured credit; a note ("[BUY = FD]") is dropped (kept in raw)."""
    if opener != "[" or start <= 0:
        return title, None
    if is_note(inner):
        return title[:start].rstrip(), None
    if inner and not is_version(inner) and not is_original(inner) and not _is_feat(inner):
        return title[:start].rstrip(), inner
    return title, None


def _label_after_version(title: str, m: re.Match[str]) -> tuple[str, str | None]:
    """Words after a version group ("(Original Mix) Gem Records") are its label, but for
    a note ("(X Bootleg) BUY = FD"), dropped, and a featured credit, left in place."""
    inner = m.group(2)
    tail = m.group(3).strip()
    if not (is_version(inner) or is_original(inner)):
        return title, None
    if is_note(tail):
        return title[: m.start(3)].rstrip(), None
    if tail and not _is_feat(tail):
        return title[: m.start(3)].rstrip(), tail
    return title, None


def _is_feat(text: str) -> bool:
    low = text[:10].lower()
    return low.startswith(("feat", "ft.", "ft "))


def parse_track_line(text: str) -> TrackEntry:
    """Parse one tracklist line; never raises, keeps the original text in ``raw`` (less
    control characters, which no store should keep)."""
    entry = TrackEntry(raw=strip_controls(text) if isinstance(text, str) else text)
    line = clean_text(text) if isinstance(text, str) else None
    if not line:
        return entry
    if line[0] in _PREFIX_START:
        line = _prefix(line, entry)
    if line and entry.cue_s is None and (line[-1].isdigit() or line[-1] in ")]"):
        line = _trailing_cue(line, entry)
    line = line.strip()
    if not line:
        return entry
    if len(line) <= _UNKNOWN_MAX and is_unknown(line, artist=False):
        entry.unknown = True
        return entry
    line = _without_file_marks(line)
    artist_part, title_part = _split_line(line)
    title_part, entry.label = _label(title_part) if title_part else (title_part, None)
    artist, featured = split_artist(artist_part)
    title, title_featured, version = split_title(title_part)
    if _is_placeholder(artist, artist=True):
        artist, entry.unknown = None, True
    if _is_placeholder(title, artist=False):
        title, entry.unknown = None, True
    if title_featured:
        featured = merge_names(featured, title_featured)
    if featured:
        featured = without_main(featured, artist)
    if line.isascii():
        entry.artist, entry.title, entry.version, entry.featured = artist, title, version, featured
    else:
        _refine_fields(entry, artist, title, version, featured)
    return entry


def _trailing_cue(line: str, entry: TrackEntry) -> str:
    """Take a cue time off the end of the line ("... [63:21]", "... 1:03:21"), which ends
    with a digit or a bracket, when none was read at its start."""
    m = _TRAILING_CUE.search(line)
    if m is None or m.start() <= 0:
        return line
    if m.group("th") is not None:
        entry.cue_s = int(m.group("th")) * 3600 + int(m.group("tm")) * 60
        entry.cue_s += int(m.group("ts"))
    else:
        entry.cue_s = _seconds(m)
    return line[: m.start()]


def _without_file_marks(line: str) -> str:
    """The line without a file name's extension at its end or a video's "[MV]" at its
    start."""
    if line.rfind(".", len(line) - _EXTENSION_END) >= 0 and (ext := _EXTENSION.search(line)):
        line = line[: ext.start()]
    if line[0] in "[(" and (lead := _LEADING_FLUFF.match(line)):
        line = line[lead.end() :]
    return line


def _split_line(line: str) -> tuple[str | None, str]:
    """The artist part (None when there is none) and the title part: split at the first
    dash, else at a video title's separator, else around a quoted title."""
    span = _find_separator(line) or _find_loose_separator(line) or _find_other(line)
    if span is not None:
        return line[: span[0]].strip() or None, line[span[1] :].strip()
    quoted = _QUOTED_TITLE.match(line) if '"' in line or "“" in line else None
    if quoted is None:
        return None, line
    return quoted["artist"].strip(), f"{quoted['title'].strip()} {quoted['rest']}".strip()


def _is_placeholder(name: str | None, *, artist: bool) -> bool:
    """Whether a parsed artist or title is a placeholder ("ID", "Unknown Artist")."""
    return name is not None and len(name) <= _UNKNOWN_MAX and is_unknown(name, artist=artist)


def _refine_fields(
    entry: TrackEntry,
    artist: str | None,
    title: str | None,
    version: str | None,
    featured: list[str],
) -> None:
    """Fill the fields of a line that is not ASCII: ftfy reads a line as a whole, a
    field alone may read differently ("Â" before a space), so each field is cleaned once
    more, as normalizing it again would."""
    entry.artist = refine(artist)
    entry.title = refine(title)
    entry.version = refine(version)
    entry.label = refine(entry.label)
    entry.featured = refine_names(featured)
