"""The generic page class: schema.org ``MusicPlaylist`` in JSON-LD, microdata or RDFa.

Every syntax is first turned into the same JSON-LD-like shape (``{"@type": ..., prop:
value}``), then one interpreter reads playlists from it, so the three syntaxes cannot drift
apart. The page is parsed once (parsel); microdata is read from that tree
(``microdata.py``), RDFa by extruct.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

from lxml import etree
from parsel import Selector

from crawler.items import DJSet, TrackEntry
from crawler.sites.base import SitePage
from crawler.sites.microdata import microdata_items

logger = logging.getLogger(__name__)

Node = dict[str, Any]

_SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/", "schema:")
_DJ_PROPS = ("creator", "author", "byArtist", "performer")
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,3}):(\d{2})$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_JSONLD_TEXT = etree.XPath('//script[@type="application/ld+json"]/text()')
_HAS_RDFA = etree.XPath("boolean(//*[@typeof])")
_HAS_PLAYLIST = etree.XPath(
    'boolean(//script[@type="application/ld+json"][contains(., "MusicPlaylist")]'
    ' | //*[@itemtype][contains(@itemtype, "MusicPlaylist")]'
    ' | //*[@typeof][contains(@typeof, "MusicPlaylist")])'
)


@lru_cache(maxsize=4096)  # a page names a handful of types and properties, thousands of times
def _short(name: str) -> str:
    for prefix in _SCHEMA_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _types(node: Node) -> set[str]:
    value: Any = node.get("@type", node.get("type", ()))  # JSON: a str, a list, or anything
    if isinstance(value, str):
        return {_short(value)}
    return {_short(v) for v in value if isinstance(v, str)}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first(node: Node, *props: str) -> Any:
    for prop in props:
        values = _as_list(node.get(prop))
        if values:
            return values[0]
    return None


def _text(value: Any) -> str | None:
    """A plain string from a literal, a ``{"@value": ...}`` or a thing with a ``name``."""
    if type(value) is str:  # the usual case, first: this runs for every field of a track
        return value.strip() or None
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value", value.get("name"))
        if isinstance(value, list | dict):
            return _text(value)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _names(value: Any) -> list[str]:
    names = []
    for v in _as_list(value):
        if isinstance(v, dict) and "@value" not in v:
            v = v.get("name")
        for name in _as_list(v):
            text = _text(name)
            if text and text not in names:
                names.append(text)
    return names


def parse_duration(value: Any) -> int | None:
    """ISO 8601 (``PT1H2M3S``) or clock (``1:02:03``) duration in whole seconds."""
    text = _text(value)
    if not text:
        return None
    if m := _ISO_DURATION.match(text):
        if not any(m.groupdict().values()):
            return None
        d, h, mi, s = (float(m.group(k) or 0) for k in "dhms")
        return round(d * 86400 + h * 3600 + mi * 60 + s)
    if m := _CLOCK.match(text):
        h, mi, s = (int(g or 0) for g in m.groups())
        return h * 3600 + mi * 60 + s
    if text.isdigit():
        return int(text)
    return None


_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%d.%m.%Y", "%Y/%m/%d")


def parse_date(value: Any) -> str | None:
    """ISO date (``YYYY-MM-DD``) from an ISO date or date-time, or a few written forms."""
    text = _text(value)
    if not text:
        return None
    if m := _DATE.match(text):
        return m.group(1)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


# --- from each syntax to JSON-LD-like nodes ---------------------------------------------


def jsonld_nodes(selector: Selector, url: str) -> Iterator[Node]:
    """Top-level nodes of every JSON-LD block; a broken block is logged and skipped.

    Blocks are parsed one by one (not through extruct's all-or-nothing extractor) so that
    one broken block does not hide the valid ones beside it.
    """
    for i, raw in enumerate(_JSONLD_TEXT(selector.root)):
        text = str(raw).strip()
        if not text:
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            try:  # pages often leave raw newlines or tabs inside strings
                data = json.loads(text, strict=False)
            except ValueError:
                logger.warning("Broken JSON-LD block %d on %s skipped: %s", i + 1, url, exc)
                continue
        for node in _as_list(data):
            if isinstance(node, dict):
                graph = node.get("@graph")
                if isinstance(graph, list):
                    yield from (n for n in graph if isinstance(n, dict))
                else:
                    yield node


def microdata_nodes(selector: Selector, url: str) -> list[Node]:
    try:
        return microdata_items(selector.root)
    except Exception as exc:  # hostile markup: skip this syntax, keep the others
        logger.warning("Microdata on %s could not be read: %r", url, exc)
        return []


def rdfa_nodes(selector: Selector, url: str) -> list[Node]:
    """RDFa via extruct (expanded JSON-LD), folded back into nested nodes."""
    if not _HAS_RDFA(selector.root):
        return []
    from extruct.rdfa import RDFaExtractor
    from extruct.utils import parse_xmldom_html

    try:
        doc = parse_xmldom_html(selector.get().encode("utf-8"), encoding="utf-8")
        graph = RDFaExtractor().extract_items(doc, base_url=url)
    except Exception as exc:
        logger.warning("RDFa on %s could not be read: %r", url, exc)
        return []
    by_id = {n["@id"]: n for n in graph if isinstance(n, dict) and "@id" in n}

    def fold(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, list):
            folded = [fold(v, seen) for v in node]
            return folded[0] if len(folded) == 1 else folded
        if not isinstance(node, dict):
            return node
        if "@value" in node:
            return node["@value"]
        if "@list" in node:
            return [fold(v, seen) for v in node["@list"]]
        ref: str | None = node.get("@id")
        if ref is not None and set(node) == {"@id"} and ref in by_id and ref not in seen:
            return fold(by_id[ref], seen | {ref})
        out: Node = {"@type": [_short(t) for t in _as_list(node.get("@type"))]}
        for key, value in node.items():
            if not key.startswith("@"):
                out[_short(key)] = fold(value, seen | ({ref} if ref else set()))
        return out

    return [fold(n, frozenset()) for n in graph if isinstance(n, dict)]


def _find_playlists(node: Any) -> list[Node]:
    """``MusicPlaylist`` nodes anywhere in a JSON-like tree (not looking inside one)."""
    found: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(v for v in reversed(current) if isinstance(v, dict | list))
        elif "MusicPlaylist" in _types(current):
            found.append(current)
        else:
            stack.extend(v for v in reversed(current.values()) if isinstance(v, dict | list))
    return found


# --- the interpreter ---------------------------------------------------------------------


def _recordings(playlist: Node) -> Iterator[tuple[int | None, Node]]:
    """(position, MusicRecording) from ``track``/``tracks``: a list or an ItemList."""
    for value in _as_list(playlist.get("track", playlist.get("tracks"))):
        if not isinstance(value, dict):
            if _text(value):
                yield None, {"name": value}
            continue
        types = _types(value)
        if "ItemList" in types:
            for element in _as_list(value.get("itemListElement")):
                if not isinstance(element, dict):
                    if _text(element):
                        yield None, {"name": element}
                    continue
                item = element.get("item", element) if "ListItem" in _types(element) else element
                if isinstance(item, str):
                    item = {"name": item}
                if isinstance(item, dict):
                    yield _int(_first(element, "position")), item
        else:
            yield _int(_first(value, "position")), value


def _int(value: Any) -> int | None:
    try:
        return int(str(_text(value)))
    except (TypeError, ValueError):
        return None


def _track(position: int | None, rec: Node) -> TrackEntry:
    title = _text(rec.get("name"))
    artists = _names(rec.get("byArtist"))
    artist = " & ".join(artists) if artists else None
    album = rec.get("inAlbum")
    label = _text(_first(rec, "recordLabel")) or (
        _text(_first(album, "recordLabel")) if isinstance(album, dict) else None
    )
    if artist is None:
        # Only one line of text: the normalizer splits "Artist - Title" from it.
        return TrackEntry(position=position, label=label, raw=title)
    return TrackEntry(
        position=position, artist=artist, title=title, label=label, raw=f"{artist} - {title}"
    )


def playlist_to_set(playlist: Node, url: str, source: str = "schema.org") -> DJSet:
    tracks = [_track(pos, rec) for pos, rec in _recordings(playlist)]
    if tracks and all(t.position is not None for t in tracks):
        tracks.sort(key=lambda t: t.position or 0)
    for i, track in enumerate(tracks, 1):
        if track.position is None:
            track.position = i
    djs: list[str] = []
    for prop in _DJ_PROPS:
        djs += [n for n in _names(playlist.get(prop)) if n not in djs]
    event = _first(playlist, "recordedAt", "event")
    event_node = event if isinstance(event, dict) else {}
    venue = _first(event_node, "location") or _first(playlist, "locationCreated", "location")
    return DJSet(
        source=source,
        url=_text(_first(playlist, "url", "@id")) or url,
        title=_text(playlist.get("name")),
        djs=djs,
        event=_text(event),
        venue=_text(venue),
        date=parse_date(
            _first(playlist, "datePublished", "dateCreated", "startDate")
            or _first(event_node, "startDate")
        ),
        duration_s=parse_duration(playlist.get("duration")),
        genres=_names(playlist.get("genre")),
        tracks=tracks,
    )


class SchemaOrgPage(SitePage):
    """Any page publishing ``MusicPlaylist`` in JSON-LD, microdata or RDFa."""

    source = "schema.org"
    markers = ("musicplaylist",)

    @classmethod
    def recognizes(cls, selector: Selector, folded_text: str | None = None) -> bool:
        # With the text known, the marker is enough: playlists() finds only nodes typed
        # MusicPlaylist, and a page whose text lacks the word has none to find.
        if folded_text is not None:
            return cls.holds_marker(folded_text)
        return cls.detect(selector)

    @classmethod
    def detect(cls, selector: Selector) -> bool:
        return bool(_HAS_PLAYLIST(selector.root))

    def playlists(self) -> list[Node]:
        found: list[Node] = []
        if self.mentions("ld+json"):
            found += _find_playlists(list(jsonld_nodes(self.selector, self.url)))
        if self.mentions("itemscope"):  # microdata items start at an itemscope
            found += _find_playlists(microdata_nodes(self.selector, self.url))
        if self.mentions("typeof"):  # RDFa resources start at a typeof
            found += _find_playlists(rdfa_nodes(self.selector, self.url))
        return found

    def sets(self) -> list[DJSet]:
        sets = [playlist_to_set(p, self.url, self.source) for p in self.playlists()]
        # Several playlists on one page without URLs of their own get distinct URLs,
        # so that each is its own set in the store.
        seen: dict[str, int] = {}
        for djset in sets:
            n = seen[djset.url] = seen.get(djset.url, 0) + 1
            if n > 1:
                djset.url = f"{djset.url}#set-{n}"
        return sets
