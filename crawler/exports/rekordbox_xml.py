"""rekordbox XML (``DJ_PLAYLISTS``): each playlist a set, tracks from the collection.

Playlist nodes (Type="1") list TRACK Keys that are TrackIDs (KeyType="0") or file
locations (KeyType="1"); folders (Type="0") nest. rekordbox records no play times here,
so cues stay empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from crawler.exports._common import file_uri, render, text
from crawler.exports._errors import UnreadableFile
from crawler.exports._xml import parse_xml
from crawler.items import DJSet, TrackEntry

SOURCE = "rekordbox"


def sniff(path: Path, head: str) -> bool:
    return "<DJ_PLAYLISTS" in head[:4096]


def read(path: Path, data: bytes) -> list[DJSet]:
    root = parse_xml(data)
    if root.tag != "DJ_PLAYLISTS":
        raise UnreadableFile("XML without a <DJ_PLAYLISTS> root: not a rekordbox file")
    by_id: dict[str, Element] = {}
    by_location: dict[str, Element] = {}
    for track in root.iterfind("COLLECTION/TRACK"):
        by_id[track.get("TrackID", "")] = track
        by_location[track.get("Location", "")] = track
    sets = []
    for name, node in _playlists(root.find("PLAYLISTS"), ()):
        index = by_location if node.get("KeyType") == "1" else by_id
        tracks = [
            _track(position, key, index.get(key))
            for position, key in enumerate((t.get("Key", "") for t in node.iterfind("TRACK")), 1)
        ]
        if tracks:
            sets.append(
                DJSet(
                    source=SOURCE,
                    url=file_uri(path, name),
                    title=name.rsplit("/", 1)[-1],
                    tracks=tracks,
                )
            )
    return sets


def _playlists(node: Element | None, parents: tuple[str, ...]) -> Iterator[tuple[str, Element]]:
    if node is None:
        return
    for child in node.iterfind("NODE"):
        name = child.get("Name", "")
        here = parents if child.get("Type") == "0" and name == "ROOT" else (*parents, name)
        if child.get("Type") == "1":
            yield "/".join(here), child
        else:
            yield from _playlists(child, here)


def _track(position: int, key: str, track: Element | None) -> TrackEntry:
    if track is None or not (track.get("Artist") or track.get("Name")):
        location = track.get("Location", key) if track is not None else key
        stem = Path(unquote(urlsplit(location).path)).stem if location else None
        return TrackEntry(position=position, raw=text(stem))
    artist = text(track.get("Artist"))
    title = text(track.get("Name"))
    label = text(track.get("Label"))
    version = text(track.get("Mix"))
    if version and version.casefold() == "original mix":
        version = None
    return TrackEntry(
        position=position,
        artist=artist,
        title=title,
        version=version,
        label=label,
        raw=render(artist, title, label),
    )
