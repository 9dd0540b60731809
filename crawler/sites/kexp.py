"""KEXP's public API (``/v2/shows/``, ``/v2/plays/``, JSON) as sets: pure, no Scrapy, no network.

A show is one set: its title the program's name, its DJs the hosts, its date the show's
local start date (the API gives start times with the station's UTC offset), its URL the
show's ``uri`` as the API gives it (``https://api.kexp.org/v2/shows/<id>/``) whichever
server answered, so that a mirror and the real API give the same set. Its tracks are the
show's track plays in air order, each cued in seconds from the show's start; air breaks
are left out. The API lists plays newest first, so air order is the reverse of the pages'.
A play carries MusicBrainz ids when KEXP matched it; anything that is not a UUID (KEXP's
own samples hold placeholders such as ``"666"``) is dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from crawler.items import DJSet, TrackEntry
from crawler.sites.musicbrainz import is_mbid

__all__ = [
    "PAGE_LIMIT",
    "SITE_API",
    "air_order",
    "plays_url",
    "rebase",
    "show_date",
    "show_set",
    "show_url",
    "shows_url",
]

SITE_API = "https://api.kexp.org/v2"
PAGE_LIMIT = 100
"""Plays or shows per page: a four-hour show airs about 60 plays and breaks, one page."""


def show_url(api: str, show_id: str) -> str:
    return f"{api.rstrip('/')}/shows/{show_id}/"


def plays_url(api: str, show_id: str) -> str:
    query = {"show_ids": show_id, "limit": PAGE_LIMIT}
    return f"{api.rstrip('/')}/plays/?{urlencode(query)}"


def shows_url(api: str, since: str | None, until: str | None) -> str:
    query: dict[str, str | int] = {"limit": PAGE_LIMIT}
    if since:
        query["start_time_after"] = f"{since}T00:00:00"
    if until:
        query["start_time_before"] = f"{until}T23:59:59"
    return f"{api.rstrip('/')}/shows/?{urlencode(query)}"


def rebase(link: str, api: str) -> str:
    """A ``next`` link of the API moved onto ``api``: the API writes its own public root
    (``https://api.kexp.org/v2/plays/?...``) into its links, whoever serves the page."""
    parts = urlsplit(link)
    base = urlsplit(api.rstrip("/"))
    official = urlsplit(SITE_API).path
    path = parts.path
    for prefix in (official, base.path):
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
            break
    return urlunsplit((base.scheme, base.netloc, base.path + path, parts.query, ""))


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def show_date(show: dict[str, Any]) -> str | None:
    """The show's local start date: the date part of its start time as the API writes it."""
    start = _when(show.get("start_time"))
    return start.date().isoformat() if start else None


def _hosts(show: dict[str, Any]) -> list[str]:
    names = [n for n in show.get("host_names") or [] if isinstance(n, str) and n.strip()]
    if not names:  # ``expand=hosts`` gives host objects instead
        names = [h.get("name", "") for h in show.get("hosts") or [] if isinstance(h, dict)]
    return [n.strip() for n in names if n and n.strip()]


def _mbid(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) and is_mbid(value) else None


def air_order(plays: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Plays oldest first. The API lists them newest first; sorting by air time (ties kept
    in the reverse of the API's order) also mends pages that shifted while being read."""
    indexed = list(enumerate(reversed(plays)))
    indexed.sort(key=lambda pair: (_when(pair[1].get("airdate")) is None, _sort_key(pair)))
    return [play for _, play in indexed]


def _sort_key(pair: tuple[int, dict[str, Any]]) -> tuple[float, int]:
    when = _when(pair[1].get("airdate"))
    return (when.timestamp() if when else 0.0, pair[0])


def _track(play: dict[str, Any], start: datetime | None) -> TrackEntry:
    artist = (play.get("artist") or "").strip() or None
    title = (play.get("song") or "").strip() or None
    aired = _when(play.get("airdate"))
    cue = None
    if start is not None and aired is not None and aired >= start:
        cue = int((aired - start).total_seconds())
    labels = [x for x in play.get("labels") or [] if isinstance(x, str) and x.strip()]
    return TrackEntry(
        cue_s=cue,
        artist=artist,
        title=title,
        label=labels[0].strip() if labels and labels[0] != "[no label]" else None,
        raw=f"{artist} - {title}" if artist and title else (title or artist),
        unknown=not (artist or title),
        recording_mbid=_mbid(play.get("recording_id")),
        release_group_mbid=_mbid(play.get("release_group_id")),
    )


def show_set(show: dict[str, Any], plays: list[dict[str, Any]]) -> DJSet:
    """One show and its plays (any order, any pages) as a set."""
    start = _when(show.get("start_time"))
    tracks: list[TrackEntry] = []
    for play in air_order(plays):
        if play.get("play_type") != "trackplay":
            continue  # air breaks, station IDs
        entry = _track(play, start)
        entry.position = len(tracks) + 1
        tracks.append(entry)
    return DJSet(
        source="kexp",
        url=str(show.get("uri") or f"{SITE_API}/shows/{show.get('id')}/"),
        title=(show.get("program_name") or "").strip() or None,
        djs=_hosts(show),
        date=show_date(show),
        genres=[g.strip() for g in (show.get("program_tags") or "").split(",") if g.strip()],
        tracks=tracks,
    )
