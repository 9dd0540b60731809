"""MusicBrainz web-service responses (``/ws/2``, JSON) as sets: pure, no Scrapy, no network.

A release becomes one set, or one set per medium when the release holds several mixes:
when its ``mix-DJ`` relations name media ("medium 2"), those media are the mixes, each
with its own DJs; a DJ-mix release with several media and no such relation is read as
one mix per medium. The set's URL is always the release's page on musicbrainz.org (with
the medium's anchor, ``#disc2``, for a medium), whichever server answered, so that a mirror
and the real service give the same set. DJs come from the release's artist credit (the
``mix-DJ`` relations when the credit is "Various Artists"), dates stay as partial as
MusicBrainz gives them, and each track keeps its recording MBID, ISRCs and length.

What to ask for (one request per release): ``RELEASE_INC`` on a lookup, ``BROWSE_INC``
(no relations: browse requests don't take them) on a browse of releases.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from crawler.items import DJSet, TrackEntry

__all__ = [
    "BROWSE_INC",
    "BROWSE_LIMIT",
    "DJ_MIX",
    "RELEASE_INC",
    "SEARCH_LIMIT",
    "browse_releases_url",
    "is_dj_mix",
    "is_mbid",
    "next_offset",
    "recording_search_url",
    "release_sets",
    "release_url",
    "search_releases_url",
    "series_members",
    "series_url",
    "split_credit",
]

SITE = "https://musicbrainz.org"
DJ_MIX = "DJ-mix"
RELEASE_INC = "recordings+artist-credits+isrcs+labels+release-groups+artist-rels"
BROWSE_INC = "recordings+artist-credits+isrcs+labels+release-groups"
BROWSE_LIMIT = 25
"""Releases per browse page. With their recordings a page is large; 25 keeps it well
under the service's own caps and still needs one request per 25 releases."""
SEARCH_LIMIT = 100
_VARIOUS = "89ad4ac3-39f7-470e-963a-56509c546377"  # MusicBrainz's "Various Artists"
_FEATURING = re.compile(r"^\s*(?:feat\.?|ft\.?|featuring)\s*$", re.IGNORECASE)
_MEDIUM = re.compile(r"^medium (\d+)$")
_MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_mbid(value: str) -> bool:
    return bool(_MBID.match(value.strip().lower()))


# -- request URLs ------------------------------------------------------------------------
def release_url(api: str, mbid: str) -> str:
    return f"{api.rstrip('/')}/release/{mbid}?{urlencode({'inc': RELEASE_INC, 'fmt': 'json'})}"


def browse_releases_url(api: str, entity: str, mbid: str, offset: int = 0) -> str:
    """Releases linked to an artist (or a release group, a label), DJ-mixes only."""
    query = {
        entity: mbid,
        "type": "dj-mix",
        "inc": BROWSE_INC,
        "limit": BROWSE_LIMIT,
        "offset": offset,
        "fmt": "json",
    }
    return f"{api.rstrip('/')}/release?{urlencode(query)}"


def search_releases_url(api: str, query: str, offset: int = 0) -> str:
    lucene = f'({query}) AND secondarytype:"dj-mix"'
    params = {"query": lucene, "limit": SEARCH_LIMIT, "offset": offset, "fmt": "json"}
    return f"{api.rstrip('/')}/release?{urlencode(params, quote_via=quote)}"


def series_url(api: str, mbid: str) -> str:
    query = {"inc": "release-rels+release-group-rels", "fmt": "json"}
    return f"{api.rstrip('/')}/series/{mbid}?{urlencode(query)}"


def recording_search_url(api: str, query: str, limit: int = 5) -> str:
    params = {"query": query, "limit": limit, "fmt": "json"}
    return f"{api.rstrip('/')}/recording?{urlencode(params, quote_via=quote)}"


def next_offset(page: dict[str, Any], key: str, offset: int) -> int | None:
    """The offset of the next page of a browse or search answer, or None after the last.

    Browse answers count with ``<key>-count``/``<key>-offset``, searches with
    ``count``/``offset``; ``key`` is the entity (``release``).
    """
    items = page.get(f"{key}s") or []
    total = page.get(f"{key}-count", page.get("count", 0)) or 0
    following = offset + len(items)
    return following if items and following < int(total) else None


def series_members(series: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The releases and release groups a series holds, in the series' order."""
    relations = sorted(
        series.get("relations") or [],
        key=lambda r: (r.get("ordering-key") is None, r.get("ordering-key") or 0),
    )
    releases = [r["release"]["id"] for r in relations if (r.get("release") or {}).get("id")]
    # Relations name their target by its type, "release_group"; the hyphenated spelling of
    # the entity elsewhere in the service is accepted too.
    groups = [
        r["release_group"]["id"] for r in relations if (r.get("release_group") or {}).get("id")
    ]
    groups += [
        r["release-group"]["id"] for r in relations if (r.get("release-group") or {}).get("id")
    ]
    return releases, groups


# -- releases as sets --------------------------------------------------------------------
def is_dj_mix(release: dict[str, Any]) -> bool:
    group = release.get("release-group") or {}
    return DJ_MIX in (group.get("secondary-types") or [])


def split_credit(credits: list[dict[str, Any]] | None) -> tuple[str | None, list[str]]:
    """The main artist as credited (names and join phrases) and the featured artists.

    Featured artists are the credits after a "feat."/"ft."/"featuring" join phrase; the
    rest is kept exactly as MusicBrainz joins it ("Adam Beyer & Bart Skils").
    """
    main: list[str] = []
    featured: list[str] = []
    into_featured = False
    for n, credit in enumerate(credits or []):
        name = (credit.get("name") or (credit.get("artist") or {}).get("name") or "").strip()
        join = credit.get("joinphrase") or ""
        if into_featured:
            if name:
                featured.append(name)
            continue
        main.append(name)
        if _FEATURING.match(join):
            into_featured = True
        elif n < len(credits or []) - 1:
            main.append(join)
    artist = "".join(main).strip()
    return artist or None, featured


def _credited_names(credits: list[dict[str, Any]] | None) -> list[str]:
    return [
        (c.get("name") or (c.get("artist") or {}).get("name") or "").strip()
        for c in credits or []
        if (c.get("artist") or {}).get("id") != _VARIOUS
    ]


def _mix_djs(release: dict[str, Any]) -> dict[int | None, list[str]]:
    """``mix-DJ`` relations by the medium they name (None: the whole release)."""
    found: dict[int | None, list[str]] = {}
    for rel in release.get("relations") or []:
        if rel.get("type") != "mix-DJ" or not (rel.get("artist") or {}).get("name"):
            continue
        named: list[int | None] = [
            int(m.group(1)) for a in rel.get("attributes") or [] if (m := _MEDIUM.match(a))
        ]
        for medium in named or [None]:
            found.setdefault(medium, [])
            name = rel.get("target-credit") or rel["artist"]["name"]
            if name not in found[medium]:
                found[medium].append(name)
    return found


def _label(release: dict[str, Any]) -> str | None:
    for info in release.get("label-info") or []:
        name: str | None = ((info or {}).get("label") or {}).get("name")
        if name and name != "[no label]":
            return name
    return None


def _seconds(ms: Any) -> int | None:
    return round(ms / 1000) if isinstance(ms, int | float) and ms > 0 else None


def _track(track: dict[str, Any], release_credit: list[dict[str, Any]]) -> TrackEntry:
    recording = track.get("recording") or {}
    credit = track.get("artist-credit") or recording.get("artist-credit") or release_credit
    artist, featured = split_credit(credit)
    title = track.get("title") or recording.get("title")
    return TrackEntry(
        artist=artist,
        featured=featured,
        title=title,
        raw=f"{artist} - {title}" if artist else title,
        recording_mbid=recording.get("id"),
        isrcs=list(recording.get("isrcs") or []),
        # The recording's own length: on a DJ-mix release a track's is the part played.
        duration_s=_seconds(recording.get("length") or track.get("length")),
    )


def _tracks(media: list[dict[str, Any]], credit: list[dict[str, Any]]) -> list[TrackEntry]:
    tracks: list[TrackEntry] = []
    for medium in media:
        for track in medium.get("tracks") or []:
            entry = _track(track, credit)
            entry.position = len(tracks) + 1
            tracks.append(entry)
    return tracks


def release_sets(release: dict[str, Any]) -> list[DJSet]:
    """The sets of one release object (a lookup, or one release of a browse page)."""
    mbid = release.get("id")
    if not mbid:
        return []
    credit = release.get("artist-credit") or []
    page = f"{SITE}/release/{mbid}"
    mix_djs = _mix_djs(release)
    credited = _credited_names(credit)
    shared = _shared_fields(release)
    media = [m for m in release.get("media") or [] if m.get("tracks")]
    per_medium = _mixed_media(release, media, mix_djs)
    if not per_medium or not media:
        djs = credited or [name for names in mix_djs.values() for name in names]
        return [
            DJSet(
                url=page,
                title=release.get("title"),
                djs=djs,
                tracks=_tracks(media, credit),
                duration_s=_total(media),
                **shared,
            )
        ]
    sets = []
    for n, medium in enumerate(media, 1):
        position = medium.get("position") or n
        if position in per_medium:
            djs = mix_djs.get(position) or credited or mix_djs.get(None, [])
            sets.append(_medium_set(release, page, medium, position, djs, credit, shared))
    return sets


def _shared_fields(release: dict[str, Any]) -> dict[str, Any]:
    """The fields every set of a release has."""
    return {
        "source": "musicbrainz",
        "date": release.get("date") or None,
        "label": _label(release),
        "genres": [g["name"] for g in release.get("genres") or [] if g.get("name")],
    }


def _mixed_media(
    release: dict[str, Any], media: list[dict[str, Any]], mix_djs: dict[int | None, list[str]]
) -> list[Any]:
    """The positions of the media that are sets of their own: those a DJ mixed, by the
    relationships, else every medium of a DJ-mix release of several; none when the
    release is one set."""
    named = sorted(k for k in mix_djs if k is not None)
    if named:
        return named
    if is_dj_mix(release) and len(media) > 1:
        return [m.get("position") or n for n, m in enumerate(media, 1)]
    return []


def _medium_set(
    release: dict[str, Any],
    page: str,
    medium: dict[str, Any],
    position: Any,
    djs: list[str],
    credit: list[dict[str, Any]],
    shared: dict[str, Any],
) -> DJSet:
    """One medium of a release as a set of its own."""
    name = (medium.get("title") or "").strip() or f"{medium.get('format') or 'Disc'} {position}"
    return DJSet(
        url=f"{page}#disc{position}",
        title=f"{release.get('title')}: {name}",
        djs=djs,
        tracks=_tracks([medium], credit),
        duration_s=_total([medium]),
        **{**shared, "genres": list(shared["genres"])},
    )


def _total(media: list[dict[str, Any]]) -> int | None:
    lengths = [t.get("length") for m in media for t in m.get("tracks") or []]
    if not lengths or any(not isinstance(v, int | float) for v in lengths):
        return None
    return _seconds(sum(lengths))
