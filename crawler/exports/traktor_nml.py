"""Traktor NML: history and playlists, each a set, with play start times as cues.

A playlist ENTRY points into the COLLECTION by a PRIMARYKEY made of the track's
volume, directory and file name. History playlists add EXTENDEDDATA with STARTDATE
(packed as year<<16 | month<<8 | day) and STARTTIME (seconds after midnight): the
difference from the first entry's start is the cue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path, PureWindowsPath
from xml.etree.ElementTree import Element

from crawler.exports._common import file_uri, name_text, render, text
from crawler.exports._errors import UnreadableFile
from crawler.exports._xml import parse_xml
from crawler.items import DJSet, TrackEntry

SOURCE = "traktor"


def sniff(path: Path, head: str) -> bool:
    return "<NML" in head[:4096]


def read(path: Path, data: bytes) -> list[DJSet]:
    root = parse_xml(data)
    if root.tag != "NML":
        raise UnreadableFile("XML without an <NML> root: not a Traktor file")
    collection = _collection(root)
    sets: list[DJSet] = []
    for name, playlist in _playlists(root.find("PLAYLISTS"), ()):
        djset = _set(path, name, playlist, collection)
        if djset.tracks:
            sets.append(djset)
    return sets


def _key(entry: Element) -> str | None:
    location = entry.find("LOCATION")
    if location is None:
        return None
    return (location.get("VOLUME", "") + location.get("DIR", "") + location.get("FILE", "")) or None


def _collection(root: Element) -> dict[str, Element]:
    entries: dict[str, Element] = {}
    for entry in root.iterfind("COLLECTION/ENTRY"):
        key = _key(entry)
        if key:
            entries[key] = entry
    return entries


def _playlists(node: Element | None, parents: tuple[str, ...]) -> Iterator[tuple[str, Element]]:
    """(folder/name path, PLAYLIST element) for every playlist under a node."""
    if node is None:
        return
    for child in node.iterfind("NODE"):
        name = child.get("NAME", "")
        here = parents if name == "$ROOT" else (*parents, name)
        if child.get("TYPE") == "PLAYLIST":
            playlist = child.find("PLAYLIST")
            if playlist is not None:
                yield "/".join(here), playlist
        else:
            yield from _playlists(child.find("SUBNODES"), here)


def _start(extended: Element | None) -> tuple[dt.date | None, int | None]:
    if extended is None:
        return None, None
    try:
        packed = int(extended.get("STARTDATE", ""))
        date = dt.date(packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF)
    except ValueError:
        date = None
    try:
        seconds = int(float(extended.get("STARTTIME", "")))
    except ValueError:
        seconds = None
    return date, seconds


def _set(path: Path, name: str, playlist: Element, collection: dict[str, Element]) -> DJSet:
    tracks: list[TrackEntry] = []
    first: dt.datetime | None = None
    first_date: dt.date | None = None
    for position, entry in enumerate(playlist.iterfind("ENTRY"), 1):
        key_el = entry.find("PRIMARYKEY")
        key = key_el.get("KEY", "") if key_el is not None else ""
        date, seconds = _start(entry.find("EXTENDEDDATA"))
        cue = None
        if seconds is not None:
            moment = dt.datetime.combine(date or dt.date(2000, 1, 1), dt.time()) + dt.timedelta(
                seconds=seconds
            )
            if first is None:
                first, first_date = moment, date
            cue = max(0, int((moment - first).total_seconds()))
        tracks.append(_track(position, cue, key, collection.get(key)))
    title = name.rsplit("/", 1)[-1] or name_text(path)
    return DJSet(
        source=SOURCE,
        url=file_uri(path, name),
        title=title,
        date=first_date.isoformat() if first_date else None,
        tracks=tracks,
    )


def _track(position: int, cue: int | None, key: str, entry: Element | None) -> TrackEntry:
    if entry is None:
        # A track missing from the collection: its file name is all there is.
        stem = text(PureWindowsPath(key.replace("/:", "\\")).stem) if key else None
        # Neither tags nor a file name: an unidentified track, still in its place.
        return TrackEntry(position=position, cue_s=cue, raw=stem, unknown=stem is None)
    artist = text(entry.get("ARTIST"))
    title = text(entry.get("TITLE"))
    if artist is None and title is None:
        return _track(position, cue, key, None)
    info = entry.find("INFO")
    label = text(info.get("LABEL")) if info is not None else None
    return TrackEntry(
        position=position,
        cue_s=cue,
        artist=artist,
        title=title,
        label=label,
        raw=render(artist, title, label),
    )
