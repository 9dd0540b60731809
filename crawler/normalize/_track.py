"""Normalization of whole entries and sets, whatever source they come from.

Pages and DJ-software exports often give artist and title separately but still
written by hand ("Grey (Tale Of Us Remix)", "Kölsch feat. X"), and sometimes the whole
"Artist - Title" line in the title field; both end up in the same fields as a parsed
line, so the store sees one shape.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from crawler.items import DJSet, TrackEntry
from crawler.normalize._credits import (
    is_original,
    is_unknown,
    merge_names,
    split_artist,
    split_names,
    split_title,
    without_main,
)
from crawler.normalize._line import _find_separator, parse_track_line
from crawler.normalize._musical_key import take_key
from crawler.normalize._text import clean_text, refine, refine_names, strip_controls


def _field(value: Any) -> str | None:
    """A text field from any source: numbers become text, other types are dropped."""
    if value is None or isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int | float):
        return clean_text(str(value))
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _names(values: Any) -> list[str]:
    """A clean list of names; one string is split like a featured credit."""
    if isinstance(values, str):
        values = split_names(clean_text(values) or "")
    names: list[str] = []
    for value in values or ():
        name = _field(value)
        if name and not is_unknown(name, artist=True):
            names = merge_names(names, [name])
    return names


def _whole_line(entry: TrackEntry, title: str | None) -> str | None:
    """The line to parse for an entry that came without a separate artist: a title
    that is "Artist - Title", or the raw text of an entry that has neither (an M3U
    ``#EXTINF`` line, a file name), which may be a title alone."""
    if title and _find_separator(title):
        return title
    if title is None:
        return _field(entry.raw)
    return None


def normalize_track(entry: TrackEntry) -> TrackEntry:
    """Clean every field and move credits where they belong; idempotent.

    "feat." credits go to ``featured``, a version group in the title to ``version``
    (unless one is given), "Original Mix" to None, "ID" to ``unknown``, a key notation
    in the title ("8A - Title") to ``key``. An entry with no artist whose title or raw
    text is a whole line is parsed as one.
    """
    if isinstance(entry.title, str):
        title, key = take_key(entry.title, _field(entry.key))
        if title != entry.title or key != entry.key:
            entry = replace(entry, title=title, key=key)
    try:
        credits = _credits(
            entry.artist, entry.title, entry.version, entry.label,
            tuple(entry.featured or ()), bool(entry.unknown),
        )  # fmt: skip
    except TypeError:  # a field that can't be a cache key (a list, a dict): the long way
        credits = None
    if credits is None:
        return _normalize_track(entry)
    artist, featured, title, version, label, unknown = credits
    return TrackEntry(
        position=_int(entry.position),
        cue_s=_int(entry.cue_s),
        artist=artist,
        featured=list(featured),
        title=title,
        version=version,
        label=label,
        unknown=unknown,
        with_previous=bool(entry.with_previous),
        raw=_raw(entry.raw),
        recording_mbid=entry.recording_mbid,
        release_group_mbid=entry.release_group_mbid,
        isrcs=list(entry.isrcs),
        duration_s=_int(entry.duration_s),
        key=_field(entry.key),
    )


def _raw(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return strip_controls(value)
    return str(value)


@lru_cache(maxsize=65536)
def _credits(
    artist: Any, title: Any, version: Any, label: Any, featured: tuple[Any, ...], unknown: bool
) -> tuple[str | None, tuple[str, ...], str | None, str | None, str | None, bool] | None:
    """The text fields of an entry that needs no line parsing, which depend on these
    inputs only: remembered, since the same tracks come back set after set of a large
    import. None for an entry that may need its whole line parsed."""
    entry = TrackEntry(
        artist=artist, title=title, version=version, label=label,
        featured=list(featured), unknown=unknown,
    )  # fmt: skip
    if _field(artist) is None and not unknown:
        return None
    done = _normalize_track(entry)
    return (done.artist, tuple(done.featured), done.title, done.version, done.label, done.unknown)


def _normalize_track(entry: TrackEntry) -> TrackEntry:
    artist = _field(entry.artist)
    title = _field(entry.title)
    version = _field(entry.version)
    label = _field(entry.label)
    featured = _names(entry.featured)
    position = _int(entry.position)
    cue_s = _int(entry.cue_s)
    unknown = bool(entry.unknown)
    with_previous = bool(entry.with_previous)

    if artist is None and not unknown and (line := _whole_line(entry, title)) is not None:
        parsed = parse_track_line(line)
        position = position if position is not None else parsed.position
        cue_s = cue_s if cue_s is not None else parsed.cue_s
        artist, title = parsed.artist, parsed.title
        featured = merge_names(featured, parsed.featured)
        version = parsed.version if parsed.version is not None else version
        label = label if label is not None else parsed.label
        unknown = unknown or parsed.unknown
        with_previous = with_previous or parsed.with_previous

    artist, artist_featured = split_artist(artist)
    # A given version still written in the title ("Grey (Tale Of Us Remix)" + "Tale Of
    # Us Remix") comes off it; with none given, the title's own version is taken.
    title, title_featured, version = split_title(title, version)
    if is_unknown(artist, artist=True):
        artist, unknown = None, True
    if is_unknown(title, artist=False):
        title, unknown = None, True
    featured = merge_names(merge_names(featured, artist_featured), title_featured)
    featured = without_main(featured, artist)
    return TrackEntry(
        position=position,
        cue_s=cue_s,
        artist=refine(artist),
        featured=refine_names(featured),
        title=refine(title),
        version=_version(refine(version)),
        label=label,
        unknown=unknown,
        with_previous=with_previous,
        raw=_raw(entry.raw),
        recording_mbid=entry.recording_mbid,
        release_group_mbid=entry.release_group_mbid,
        isrcs=list(entry.isrcs),
        duration_s=_int(entry.duration_s),
        key=_field(entry.key),
    )


def _version(version: str | None) -> str | None:
    if version is None or is_original(version):
        return None
    return version


def normalize_set(djset: DJSet) -> DJSet:
    """Normalize every track and the set's own fields; missing positions become 1..n.

    A track without a position gets its 1-based place in the list, so that sources that
    give no numbering still store their order. Idempotent.
    """
    tracks = []
    for index, track in enumerate(djset.tracks, 1):
        track = normalize_track(track)
        if track.position is None:
            track.position = index
        tracks.append(track)
    return replace(
        djset,
        url=strip_controls(djset.url) or djset.url,
        date=strip_controls(djset.date),
        title=_field(djset.title),
        djs=_names(djset.djs),
        event=_field(djset.event),
        venue=_field(djset.venue),
        genres=_names(djset.genres),
        tracks=tracks,
    )
