"""Discogs releases data dumps (``discogs_YYYYMMDD_releases.xml.gz``): their DJ mixes as sets.

A monthly dump holds every release on Discogs (CC0), some 70 GB of XML once unpacked, so
it is streamed: ``iterparse`` with each ``<release>`` cleared (and dropped from the root)
once read, which keeps memory flat however large the dump.

The rule of every XML the project reads holds here too: entity declarations and external
references are refused before anything is expanded. Both can only be made in a document
type declaration, which must come before the root element, and dumps never have one; so
a prolog holding ``<!DOCTYPE`` is refused, and the rest is parsed by the C parser of the
standard library (defusedxml's parser handles every element in Python: half the speed).
An entity reference without a declaration is then a parse error, reported as such.

A release is a DJ mix when it has a "DJ Mix" credit or a "Mixed" format description. Its
DJs are the "DJ Mix" credits (else the release's artists); tracks keep Discogs' order,
index tracks give their sub-tracks, headings are skipped, remixers credited on a track
become its version unless the title already names one, and "1-1b" after "1-1a" is played
with it. Names lose Discogs' disambiguation suffix ("Care Company (2)") and keep the name
variation a credit uses (``anv``).

A mix on several discs (positions "1-05", "2-01"; "CD2-3") is one set per disc, as each
disc of a DJ-mix CD set is a mix of its own (the MusicBrainz spider splits media alike):
``url`` is the release's page with ``#disc<N>``, the title the release's with the disc's
heading ("Hed Kandi: The Remix 2011: Saturday Night") or its format and number ("CD 2").
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError, iterparse

from crawler.exports._errors import UnreadableFile
from crawler.items import DJSet, TrackEntry

__all__ = ["DumpReader", "is_dump", "release_sets"]

logger = logging.getLogger(__name__)

DUMP_NAME = re.compile(r"^discogs_\d{8}_releases\.xml(?:\.gz)?$", re.IGNORECASE)
RELEASE_URL = "https://www.discogs.com/release/{id}"
_SUFFIX = re.compile(r"\s+\(\d+\)$")
_SUBTRACK = re.compile(r"^(?P<stem>.*\d)(?P<letter>[a-z])$")
# The disc in a position: "1-05", "2.3", "CD2-1", "Disc 3-4"; not "A1" or "B.2" (sides).
_DISC = re.compile(r"^(?:CD|DVD|Disc|Disk)?\s*(?P<disc>\d+)\s*[-.]\s*\w", re.IGNORECASE)
_VERSION_WORDS = re.compile(r"\b(?:mix|remix|edit|dub|version|rework|bootleg|vip)\b", re.I)
_FEATURING = {"feat", "feat.", "ft", "ft.", "featuring"}
_PLACEHOLDERS = {"various", "not on label", "unknown artist", "no artist"}
_HEAD = 4096
DUMP_EXTENSIONS = (".xml", ".gz")


def is_dump(path: Path) -> bool:
    """A Discogs releases dump: by its name, or (for ``.xml`` and ``.gz`` files) a
    ``<releases>`` root in its first bytes, gzip or plain."""
    if DUMP_NAME.match(path.name):
        return True
    if path.suffix.lower() not in DUMP_EXTENSIONS:
        return False  # saved pages and other exports: no extra read
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD)
            if head[:2] == b"\x1f\x8b":
                handle.seek(0)
                with gzip.GzipFile(fileobj=handle) as unpacked:
                    head = unpacked.read(_HEAD)
    except (OSError, EOFError):
        return False
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<?xml"):
        text = text[text.find(b"?>") + 2 :].lstrip()
    return text.startswith(b"<releases>") and b"<release id=" in text


class DumpReader:
    """Streams the DJ-mix sets of one dump; ``bytes_read`` is how far into the file (the
    compressed file, for a ``.gz``) reading has got, for a progress bar."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self.releases = 0
        """Releases read so far (DJ mixes or not)."""
        self.mixes = 0
        """DJ mixes among them (a mix on several discs gives a set per disc)."""
        self.skipped = 0
        """Releases that could not be read (each logged)."""
        self._raw: BinaryIO | None = None

    @property
    def bytes_read(self) -> int:
        raw = self._raw
        return raw.tell() if raw is not None and not raw.closed else self.size

    def __iter__(self) -> Iterator[DJSet]:
        return self.sets()

    def sets(self, every: int = 0, tick: Callable[[], None] | None = None) -> Iterator[DJSet]:
        """The DJ mixes, in dump order; ``tick`` is called every ``every`` releases.

        A dump broken part way (truncated, bad XML) raises UnreadableFile with the
        reason after the sets read before the break.
        """
        with self.path.open("rb") as raw:
            self._raw = raw
            gzipped = raw.read(2) == b"\x1f\x8b"
            try:
                _check_prolog(_stream(raw, gzipped).read(_PROLOG_BYTES))
                yield from self._parse(_stream(raw, gzipped), every, tick)
            except ParseError as exc:
                raise UnreadableFile(f"broken XML after {self.releases} releases: {exc}") from exc
            except (EOFError, gzip.BadGzipFile, OSError) as exc:
                raise UnreadableFile(
                    f"broken file after {self.releases} releases: {type(exc).__name__}: {exc}"
                ) from exc
            finally:
                self._raw = None

    def _parse(
        self, stream: BinaryIO, every: int, tick: Callable[[], None] | None
    ) -> Iterator[DJSet]:
        context = iterparse(stream, events=("start", "end"))
        root: Element | None = None
        for event, elem in context:
            if event == "start":
                if root is None:
                    root = elem
                continue
            if elem.tag != "release":
                continue
            self.releases += 1
            try:
                sets = release_sets(elem)
            except (ValueError, TypeError, AttributeError) as exc:
                # One odd release is skipped with a log line, never the rest of the dump.
                self.skipped += 1
                logger.warning("Discogs release %s skipped: %r", elem.get("id"), exc)
                sets = []
            # The release is done: dropping it from the root is what keeps memory flat.
            assert root is not None
            root.clear()
            self.mixes += bool(sets)
            yield from sets
            if tick is not None and every and self.releases % every == 0:
                tick()


_PROLOG_BYTES = 64 * 1024
_ELEMENT = re.compile(rb"<[A-Za-z_:]")


def _stream(raw: BinaryIO, gzipped: bool) -> BinaryIO:
    """The dump's XML from its start (unpacked on the fly for a ``.gz``)."""
    raw.seek(0)
    return gzip.GzipFile(fileobj=raw) if gzipped else raw  # type: ignore[return-value]


def _check_prolog(head: bytes) -> None:
    """Refuse a document type declaration (where entities would be declared)."""
    start = _ELEMENT.search(head)
    if start is None:
        raise UnreadableFile("no root element in the first 64 KB: not a releases dump")
    prolog = head[: start.start()]
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise UnreadableFile("XML refused: a document type declaration (entities are not allowed)")


# -- one release -------------------------------------------------------------------------
def _text(elem: Element | None, path: str) -> str | None:
    value = elem.findtext(path) if elem is not None else None
    return value.strip() or None if value else None


def _name(artist: Element) -> str | None:
    """The name as credited: the name variation, else the name without its suffix."""
    name = _text(artist, "anv") or _text(artist, "name")
    return _SUFFIX.sub("", name) if name else None


def _roles(artist: Element) -> list[str]:
    """ "DJ Mix, Compiled By [Tracks Selected By]" -> ["dj mix", "compiled by"]."""
    role = _text(artist, "role") or ""
    return [re.sub(r"\[.*?\]", "", r).strip().lower() for r in role.split(",")]


def _credit(artists: list[Element]) -> tuple[str | None, list[str]]:
    """Main artist (names joined as Discogs joins them) and featured artists."""
    main: list[str] = []
    featured: list[str] = []
    into_featured = False
    for n, artist in enumerate(artists):
        name = _name(artist)
        if not name or name.lower() in _PLACEHOLDERS:
            continue
        if into_featured:
            featured.append(name)
            continue
        main.append(name)
        join = _text(artist, "join") or ""
        if join.lower() in _FEATURING:
            into_featured = True
        elif n < len(artists) - 1:
            main.append(", " if join == "," else f" {join or '&'} ")
    credited = "".join(main).strip()
    return (credited or None), featured


def _seconds(text: str | None) -> int | None:
    if not text:
        return None
    try:
        parts = [int(p) for p in text.split(":")]
    except ValueError:
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds or None


def _date(text: str | None) -> str | None:
    """ "1999-07-13", "2016", "1995-00-00" -> "1995": as precise as Discogs knows."""
    if not text:
        return None
    parts = text.split("-")
    if not parts[0].isdigit() or len(parts[0]) != 4:
        return None
    kept = [parts[0]]
    for part in parts[1:3]:
        if not part.isdigit() or int(part) == 0:
            break
        kept.append(part.zfill(2))
    return "-".join(kept)


def _version(title: str | None, remixers: list[str]) -> str | None:
    """A version from the remix credits, unless the title already has one."""
    if not remixers:
        return None
    if title and "(" in title:
        inside = " ".join(re.findall(r"\(([^)]*)\)", title))
        if _VERSION_WORDS.search(inside) or any(r.lower() in inside.lower() for r in remixers):
            return None
    return " & ".join(remixers) + " Remix"


def _is_dj_mix(release: Element) -> bool:
    if any("dj mix" in _roles(a) for a in release.iterfind("extraartists/artist")):
        return True
    descriptions = release.iterfind("formats/format/descriptions/description")
    return any((d.text or "").strip() == "Mixed" for d in descriptions)


def _release_artists(release: Element) -> list[Element]:
    return [
        a
        for a in release.iterfind("artists/artist")
        if (_name(a) or "").lower() not in _PLACEHOLDERS
    ]


def release_sets(release: Element) -> list[DJSet]:
    """The sets of one ``<release>`` element: none when it is not a DJ mix, one per disc
    when its positions name several discs, else one."""
    if not _is_dj_mix(release):
        return []
    credited = _release_artists(release)
    djs = _djs(release, credited)
    labels = _labels(release)
    genres = _genres(release)
    return [
        DJSet(
            source="discogs",
            url=url,
            title=name,
            djs=list(dict.fromkeys(djs)),
            date=_date(_text(release, "released")),
            genres=list(genres),
            label=labels[0] if labels and labels[0] else None,
            tracks=_tracks(tracks, credited),
            duration_s=_length(tracks),
        )
        for url, name, tracks in _parts(release)
    ]


def _djs(release: Element, credited: list[Element]) -> list[str]:
    """Who is credited with the DJ mix, else the release's artists."""
    djs = [
        name
        for a in release.iterfind("extraartists/artist")
        if "dj mix" in _roles(a) and (name := _name(a))
    ]
    return djs or [name for a in credited if (name := _name(a))]


def _labels(release: Element) -> list[str]:
    return [
        _SUFFIX.sub("", label.get("name") or "")
        for label in release.iterfind("labels/label")
        if (label.get("name") or "").strip().lower() not in _PLACEHOLDERS
    ]


def _genres(release: Element) -> list[str]:
    """Its styles ("Deep House"), which say more than its genres ("Electronic")."""
    styles = [s.text.strip() for s in release.iterfind("styles/style") if s.text]
    return styles or [g.text.strip() for g in release.iterfind("genres/genre") if g.text]


def _parts(release: Element) -> list[tuple[str, str | None, list[Element]]]:
    """The release's sets as (URL, title, track elements): one per disc when its
    positions name several discs, else the whole release."""
    page = RELEASE_URL.format(id=release.get("id"))
    title = _text(release, "title")
    elements = release.findall("tracklist/track")
    discs = _discs(elements)
    if len(discs) <= 1:
        return [(page, title, elements)]
    medium = _format(release)
    return [
        (f"{page}#disc{disc}", f"{title}: {heading or f'{medium} {disc}'}", tracks)
        for disc, heading, tracks in discs
    ]


def _format(release: Element) -> str:
    """What a disc is called: the release's first format ("CD", "CDr"), else "Disc"."""
    first = release.find("formats/format")
    return (first.get("name") if first is not None else None) or "Disc"


def _disc(track: Element) -> int | None:
    """The disc of a track (an index track: of its first sub-track), from its position."""
    positions = [_text(track, "position")] + [
        _text(sub, "position") for sub in track.iterfind("sub_tracks/track")
    ]
    for position in positions:
        if position and (match := _DISC.match(position)):
            return int(match["disc"])
    return None


def _discs(tracks: list[Element]) -> list[tuple[int, str | None, list[Element]]]:
    """The tracklist cut where the disc changes: (disc, its heading, its tracks). A
    heading just before a disc's first track names the disc ("Friday Evening", "CD2");
    tracks without a disc in their position stay with the disc before them."""
    discs: list[tuple[int, str | None, list[Element]]] = []
    heading: str | None = None
    for track in tracks:
        kind = _text(track, "type_")
        index = kind == "index" or track.find("sub_tracks/track") is not None
        if not index and (kind == "heading" or _is_heading(track)):
            heading = _text(track, "title")
            continue
        disc = _disc(track)
        if disc is not None and (not discs or discs[-1][0] != disc):
            discs.append((disc, heading, []))
        elif not discs:
            discs.append((1, heading, []))
        discs[-1][2].append(track)
        heading = None
    return discs


def _length(tracks: list[Element]) -> int | None:
    """The mix's length: the sum of its tracks' parts, when every one is given."""
    played = [t for t in tracks if not _is_heading(t)]
    parts = [_seconds(_text(t, "duration")) for t in played]
    if not parts or None in parts:
        return None
    return sum(p for p in parts if p is not None)


def _tracks(elements: list[Element], credited: list[Element]) -> list[TrackEntry]:
    tracks: list[TrackEntry] = []
    previous: str | None = None
    for track in elements:
        subs = track.findall("sub_tracks/track")
        kind = _text(track, "type_")
        if subs or kind == "index":  # an index track: its sub-tracks are the tracks
            fallback = track.findall("artists/artist") or credited
            for sub in subs:
                previous = _add(tracks, sub, fallback, previous)
            continue
        if kind == "heading" or _is_heading(track):
            continue
        previous = _add(tracks, track, credited, previous)
    return tracks


def _is_heading(track: Element) -> bool:
    """Headings ("Friday Evening", "CD 1") have no position, artists or length."""
    return not (_text(track, "position") or track.find("artists/artist") is not None) and not _text(
        track, "duration"
    )


def _add(
    tracks: list[TrackEntry], track: Element, fallback: list[Element], previous: str | None
) -> str | None:
    position = _text(track, "position")
    artist, featured = _credit(track.findall("artists/artist") or fallback)
    title = _text(track, "title")
    remixers = [
        name
        for a in track.iterfind("extraartists/artist")
        if "remix" in _roles(a) and (name := _name(a))
    ]
    with_previous = False
    if position and (match := _SUBTRACK.match(position)) and match["letter"] != "a":
        stem = match["stem"]
        with_previous = bool(previous and previous.startswith(stem))
    line = f"{artist} - {title}" if artist else (title or "")
    tracks.append(
        TrackEntry(
            position=len(tracks) + 1,
            artist=artist,
            featured=featured,
            title=title,
            version=_version(title, remixers),
            with_previous=with_previous,
            # Not duration_s: in a mix, Discogs gives the part played, not the track's length.
            raw=f"{position} {line}" if position else line,
        )
    )
    return position
