"""setlist.fm API answers (``/rest/1.0``, JSON) as sets: pure, no Scrapy, no network.

A setlist is one set: the artist as its DJ, the tour as its event, the venue with its city
and country, the event's date (setlist.fm writes ``dd-MM-yyyy``) and its setlist.fm page as
URL. Songs come in order across the sets and encores. A cover is credited to the original
artist (the normalizer keys tracks by who wrote them, as the README says), a guest ("with")
is a featured artist, a song played from tape keeps "(tape)" in its raw text, and a song
without a name (setlist.fm's unknown song) is an unknown entry in its place.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote, urlencode

from crawler.items import DJSet, TrackEntry

__all__ = [
    "artist_setlists_url",
    "page_count",
    "setlist_set",
    "setlist_url",
    "venue_setlists_url",
]


def artist_setlists_url(api: str, mbid: str, page: int = 1) -> str:
    return f"{api.rstrip('/')}/artist/{quote(mbid)}/setlists?{urlencode({'p': page})}"


def venue_setlists_url(api: str, venue: str, page: int = 1) -> str:
    return f"{api.rstrip('/')}/venue/{quote(venue)}/setlists?{urlencode({'p': page})}"


def setlist_url(api: str, setlist_id: str) -> str:
    return f"{api.rstrip('/')}/setlist/{quote(setlist_id)}"


def page_count(page: dict[str, Any]) -> int:
    """How many pages a search has, from its ``total`` and ``itemsPerPage``."""
    total, per_page = page.get("total"), page.get("itemsPerPage")
    if not isinstance(total, int) or not isinstance(per_page, int) or per_page <= 0:
        return 1
    return max(1, math.ceil(total / per_page))


def _name(thing: Any) -> str | None:
    name = thing.get("name") if isinstance(thing, dict) else None
    return name.strip() or None if isinstance(name, str) else None


def _date(value: Any) -> str | None:
    parts = value.split("-") if isinstance(value, str) else []
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    day, month, year = parts
    return f"{year}-{month}-{day}"


def _venue(venue: Any) -> str | None:
    if not isinstance(venue, dict):
        return None
    city = venue.get("city") or {}
    country = (city.get("country") or {}).get("name")
    parts = [_name(venue), _name(city), country.strip() if isinstance(country, str) else None]
    return ", ".join(p for p in parts if p) or None


def _song(song: dict[str, Any], performer: str | None) -> TrackEntry:
    title = _name(song)
    artist = _name(song.get("cover")) or performer
    guest = _name(song.get("with"))
    if title is None:
        return TrackEntry(artist=None, title=None, unknown=True, raw="ID - ID")
    raw = f"{artist} - {title}" if artist else title
    if song.get("tape"):
        raw += " (tape)"
    return TrackEntry(
        artist=artist,
        featured=[guest] if guest and guest != artist else [],
        title=title,
        raw=raw,
    )


def setlist_set(setlist: dict[str, Any]) -> DJSet:
    """One setlist object (a lookup, or one item of a search page) as a set."""
    performer = _name(setlist.get("artist"))
    tracks: list[TrackEntry] = []
    for part in (setlist.get("sets") or {}).get("set") or []:
        for song in (part or {}).get("song") or []:
            if isinstance(song, dict):
                entry = _song(song, performer)
                entry.position = len(tracks) + 1
                tracks.append(entry)
    venue = _venue(setlist.get("venue"))
    event = _name(setlist.get("tour"))
    title = " @ ".join(p for p in (performer, _name(setlist.get("venue"))) if p) or None
    return DJSet(
        source="setlistfm",
        url=str(setlist.get("url") or f"https://www.setlist.fm/setlist/{setlist.get('id')}"),
        title=title,
        djs=[performer] if performer else [],
        event=event,
        venue=venue,
        date=_date(setlist.get("eventDate")),
        tracks=tracks,
    )
