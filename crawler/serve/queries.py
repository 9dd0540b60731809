"""The archive's questions, answered from the store: plain dicts for the API and the pages.

Every function takes a session and only reads. Lists are bounded by the caller's page
size; whole-store figures (counts, plays per month, most played) are one aggregate query
each, kept for a minute.

Transitions are counted over *slots*: an entry starts a slot, and a ``w/`` row (played
with the previous one) joins the slot of the row before it. What follows a track is every
track of the next slot, in every set, each occurrence counted; so in ``A, B w/ A, C`` the
transitions are A→C and B→C, and in the plain case (no ``w/`` rows) they are exactly the
pairs of entries at ordinals i and i + 1. An unknown (ID) entry keeps its slot but names
no track: pairs with it are not counted, and no pair is made across it.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from crawler.serve.search import match_value, matching
from crawler.store.models import Artist, CrawlRun, DJSetRow, SetDJ, SetEntry, Source, Track

__all__ = [
    "AGGREGATE_TTL",
    "Page",
    "can_exist",
    "dj_detail",
    "format_cue",
    "list_runs",
    "list_sets",
    "list_tracks",
    "most_played",
    "recent_sets",
    "search",
    "set_detail",
    "stats",
    "track_detail",
    "track_name",
    "transitions",
]

TOP = 20
"""How many rows a "most played" or transitions list holds."""


@dataclass(frozen=True)
class Page:
    """A page of a list: 1-based ``number``, ``size`` rows."""

    number: int = 1
    size: int = 50

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def format_cue(seconds: int | None) -> str | None:
    """A cue as ``m:ss``, or ``h:mm:ss`` from an hour on."""
    if seconds is None:
        return None
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# --- Building blocks -------------------------------------------------------------------


def _run(session: Session, stmt: Any, **params: Any) -> Any:
    """Execute on the session's connection: the statements here select plain columns, so
    the ORM's per-call work is not needed (most are built once, at import)."""
    return session.connection().execute(stmt, params)


_IDS: Any = bindparam("ids", expanding=True)

_SET_DJS = (
    select(SetDJ.set_id, Artist.id, Artist.name)
    .join(Artist, Artist.id == SetDJ.artist_id)
    .where(SetDJ.set_id.in_(_IDS))
    .order_by(SetDJ.set_id, SetDJ.ordinal)
)


def _set_djs(session: Session, set_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The linked DJs of each set, in credit order."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if set_ids:
        for set_id, artist_id, name in _run(session, _SET_DJS, ids=list(set_ids)):
            found[set_id].append({"id": artist_id, "name": name})
    return found


_SET_COLUMNS = (
    DJSetRow.id,
    DJSetRow.title,
    DJSetRow.date,
    DJSetRow.event,
    DJSetRow.venue,
    DJSetRow.url,
    Source.key.label("source"),
)


def _set_summaries(session: Session, stmt: Any, **params: Any) -> list[dict[str, Any]]:
    rows = [dict(r._mapping) for r in _run(session, stmt, **params)]
    djs = _set_djs(session, [r["id"] for r in rows])
    for row in rows:
        row["djs"] = djs.get(row["id"], [])
    return rows


_TRACKS = (
    select(Track.id, Track.title, Track.version, Track.label, Artist.id, Artist.name)
    .outerjoin(Artist, Artist.id == Track.artist_id)
    .where(Track.id.in_(_IDS))
)


def _track_summaries(session: Session, track_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = list(dict.fromkeys(track_ids))
    if not ids:
        return {}
    found = {}
    for id_, title, version, label, artist_id, artist in _run(session, _TRACKS, ids=ids):
        found[id_] = {
            "id": id_,
            "artist": {"id": artist_id, "name": artist} if artist_id is not None else None,
            "title": title,
            "version": version,
            "label": label,
            "name": track_name(artist, title, version),
        }
    return found


def track_name(artist: str | None, title: str | None, version: str | None) -> str:
    """A track as it is usually written: "Artist - Title (Version)"."""
    text = f"{artist or 'ID'} - {title or 'ID'}"
    return f"{text} ({version})" if version else text


def _counted_tracks(session: Session, stmt: Any, **params: Any) -> list[dict[str, Any]]:
    """``[{track, count}]`` from a statement selecting ``(track_id, count)``."""
    counts = list(_run(session, stmt, **params))
    tracks = _track_summaries(session, (t for t, _ in counts))
    return [{"track": tracks[t], "count": n} for t, n in counts if t in tracks]


_MAX_KEY = {"postgresql": 2**31 - 1}
"""The largest primary key per database where it is below SQLite's 64-bit integers (the
store's keys are PostgreSQL ``integer``): a larger id names no row, and asking would fail."""


def can_exist(session: Session, id_: int) -> bool:
    """Whether a row of the store could have the primary key ``id_``."""
    return 0 < id_ <= _MAX_KEY.get(session.get_bind().dialect.name, 2**63 - 1)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- Search ----------------------------------------------------------------------------


def search(session: Session, q: str, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    """The top matches of each kind: sets, tracks and DJs (as the first page of
    :func:`list_sets` and :func:`list_tracks` with ``q``, from statements made once)."""
    dialect = _dialect(session)
    value = match_value(dialect, q)
    if value is None:
        return {"sets": [], "tracks": [], "djs": []}
    sets, tracks, djs = _search_statements(dialect)
    ids = list(_run(session, tracks, match=value, limit=limit).scalars())
    found = _track_summaries(session, ids)
    return {
        "sets": _set_summaries(session, sets, match=value, limit=limit),
        "tracks": [found[i] for i in ids],
        "djs": [dict(r._mapping) for r in _run(session, djs, match=value, limit=limit)],
    }


def _dialect(session: Session) -> str:
    return str(session.get_bind().dialect.name)


@functools.cache
def _search_statements(dialect: str) -> tuple[Any, Any, Any]:
    """Sets, track ids and DJs matching ``:match``, best first, ``:limit`` of each."""
    limit: Any = bindparam("limit")
    found = matching(dialect, "sets")
    sets = (
        select(*_SET_COLUMNS)
        .join(Source, Source.id == DJSetRow.source_id)
        .join(found, found.c.id == DJSetRow.id)
        .order_by(found.c.score.desc(), DJSetRow.date.desc(), DJSetRow.id.desc())
        .limit(limit)
    )
    found = matching(dialect, "tracks")
    tracks = (
        select(Track.id)
        .join(found, found.c.id == Track.id)
        .order_by(found.c.score.desc(), Track.id)
        .limit(limit)
    )
    found = matching(dialect, "artists")
    count = func.count(SetDJ.set_id).label("sets")
    djs = (
        select(Artist.id, Artist.name, count)
        .join(found, found.c.id == Artist.id)
        .join(SetDJ, SetDJ.artist_id == Artist.id)
        .group_by(Artist.id, Artist.name, found.c.score)
        .order_by(found.c.score.desc(), count.desc(), Artist.id)
        .limit(limit)
    )
    return sets, tracks, djs


def _total(session: Session, stmt: Any, **params: Any) -> int:
    return _run(session, select(func.count()).select_from(stmt.subquery()), **params).scalar() or 0


# --- Sets ------------------------------------------------------------------------------


def list_sets(
    session: Session,
    page: Page,
    q: str | None = None,
    dj: int | None = None,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    with_total: bool = True,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of sets (best match first with ``q``, else newest first) and the total."""
    if (dj is not None and not can_exist(session, dj)) or "\x00" in (source or ""):
        return [], 0  # no such DJ; no source key holds a NUL (PostgreSQL text cannot)
    stmt = select(*_SET_COLUMNS).join(Source, Source.id == DJSetRow.source_id)
    order: list[Any] = [DJSetRow.date.desc(), DJSetRow.id.desc()]
    params: dict[str, str] = {}
    if q:
        value = match_value(_dialect(session), q)
        if value is None:
            return [], 0
        params["match"] = value
        found = matching(_dialect(session), "sets")
        stmt = stmt.join(found, found.c.id == DJSetRow.id)
        order.insert(0, found.c.score.desc())
    if dj is not None:
        stmt = stmt.join(SetDJ, and_(SetDJ.set_id == DJSetRow.id, SetDJ.artist_id == dj))
    if since:
        stmt = stmt.where(DJSetRow.date >= since)
    if until:
        # A date may be a year or a month only; "until 2024-06-30" includes "2024-06".
        stmt = stmt.where(DJSetRow.date <= until + "\uffff")
    if source:
        stmt = stmt.where(Source.key == source)
    total = _total(session, stmt, **params) if with_total else None
    paged = stmt.order_by(*order).limit(page.size).offset(page.offset)
    return _set_summaries(session, paged, **params), total


_SET = (
    select(DJSetRow.__table__, Source.key.label("source"))
    .join(Source, Source.id == DJSetRow.source_id)
    .where(DJSetRow.id == bindparam("set"))
)
_ENTRY_COLUMNS = (
    "ordinal", "position", "cue_s", "artist", "featured", "title", "version", "label",
    "unknown", "with_previous", "raw", "track_id",
)  # fmt: skip
_ENTRIES = (
    select(*(getattr(SetEntry, c) for c in _ENTRY_COLUMNS))
    .where(SetEntry.set_id == bindparam("set"))
    .order_by(SetEntry.ordinal)
)


def set_detail(session: Session, set_id: int) -> dict[str, Any] | None:
    """The set, its DJs, its tracks in order and where it came from."""
    if not can_exist(session, set_id):
        return None
    row = _run(session, _SET, set=set_id).first()
    if row is None:
        return None
    entries = [
        dict(zip(_ENTRY_COLUMNS, e, strict=True)) for e in _run(session, _ENTRIES, set=set_id)
    ]
    for e in entries:
        e["featured"] = list(e["featured"] or [])
        e["cue"] = format_cue(e["cue_s"])
    return {
        "id": row.id,
        "title": row.title,
        "djs": _set_djs(session, [row.id]).get(row.id, []),
        "credited": list(row.djs or []),
        "event": row.event,
        "venue": row.venue,
        "date": row.date,
        "duration_s": row.duration_s,
        "genres": list(row.genres or []),
        "source": row.source,
        "url": row.url,
        "sources": [{"source": row.source, "url": row.url}],
        "first_seen": _iso(row.first_seen),
        "updated_at": _iso(row.updated_at),
        "gone_at": _iso(row.gone_at),
        "ai_use": row.ai_use,
        "captured_at": _iso(row.captured_at),
        "tracks": entries,
    }


# --- DJs -------------------------------------------------------------------------------


_CREDITED = select(SetDJ.set_id).where(SetDJ.artist_id == bindparam("dj"))
_ARTIST = select(Artist.id, Artist.name).where(Artist.id == bindparam("dj"))
_DJ_SPAN = select(func.count(), func.min(DJSetRow.date), func.max(DJSetRow.date)).where(
    DJSetRow.id.in_(_CREDITED)
)
_DJ_TOP = (
    select(SetEntry.track_id, func.count().label("plays"))
    .where(SetEntry.set_id.in_(_CREDITED), SetEntry.track_id.is_not(None))
    .group_by(SetEntry.track_id)
    .order_by(func.count().desc(), SetEntry.track_id)
    .limit(TOP)
)
_DJ_SETS = (
    select(*_SET_COLUMNS)
    .join(Source, Source.id == DJSetRow.source_id)
    .where(DJSetRow.id.in_(_CREDITED))
    .order_by(DJSetRow.date.desc(), DJSetRow.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def dj_detail(session: Session, artist_id: int, page: Page) -> dict[str, Any] | None:
    """A DJ (an artist credited with sets): counts, first and last set, most played
    tracks, and a page of sets, newest first. Any artist has one (with no sets, when it
    is only credited with tracks), so that a track's artist always has a page."""
    if not can_exist(session, artist_id):
        return None
    artist = _run(session, _ARTIST, dj=artist_id).first()
    if artist is None:
        return None
    count, first, last = _run(session, _DJ_SPAN, dj=artist_id).one()
    sets = _set_summaries(session, _DJ_SETS, dj=artist_id, limit=page.size, offset=page.offset)
    return {
        "id": artist.id,
        "name": artist.name,
        "sets_count": count,
        "first_set": first,
        "last_set": last,
        "most_played": _counted_tracks(session, _DJ_TOP, dj=artist_id),
        "sets": sets,
        "page": page.number,
    }


# --- Tracks ----------------------------------------------------------------------------


def list_tracks(
    session: Session, page: Page, q: str | None = None, with_total: bool = True
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of tracks matching ``q`` (best first), or of all tracks by id."""
    stmt = select(Track.id)
    order: list[Any] = [Track.id]
    params: dict[str, str] = {}
    if q:
        value = match_value(_dialect(session), q)
        if value is None:
            return [], 0
        params["match"] = value
        found = matching(_dialect(session), "tracks")
        stmt = stmt.join(found, found.c.id == Track.id)
        order.insert(0, found.c.score.desc())
    total = _total(session, stmt, **params) if with_total else None
    paged = stmt.order_by(*order).limit(page.size).offset(page.offset)
    ids = list(_run(session, paged, **params).scalars())
    tracks = _track_summaries(session, ids)
    return [tracks[i] for i in ids], total


_TRACK: Any = bindparam("track")
_PLAYS = (
    select(func.count(), func.min(DJSetRow.date), func.max(DJSetRow.date))
    .select_from(SetEntry)
    .join(DJSetRow, DJSetRow.id == SetEntry.set_id)
    .where(SetEntry.track_id == _TRACK)
)
_PLAYED_IN = (
    select(*_SET_COLUMNS, SetEntry.position, SetEntry.cue_s)
    .select_from(SetEntry)
    .join(DJSetRow, DJSetRow.id == SetEntry.set_id)
    .join(Source, Source.id == DJSetRow.source_id)
    .where(SetEntry.track_id == _TRACK)
    .order_by(DJSetRow.date.desc(), DJSetRow.id.desc(), SetEntry.ordinal)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_MONTH = func.substr(DJSetRow.date, 1, 7).label("month")
_BY_MONTH = (
    select(_MONTH, func.count())
    .select_from(SetEntry)
    .join(DJSetRow, DJSetRow.id == SetEntry.set_id)
    .where(SetEntry.track_id == _TRACK, func.length(DJSetRow.date) >= 7)
    .group_by(_MONTH)
    .order_by(_MONTH)
)


def track_detail(session: Session, track_id: int, page: Page) -> dict[str, Any] | None:
    """A track: how often, when and where it was played, plays per month, transitions."""
    if not can_exist(session, track_id):
        return None
    track = _track_summaries(session, [track_id]).get(track_id)
    if track is None:
        return None
    plays, first, last = _run(session, _PLAYS, track=track_id).one()
    played_in = _set_summaries(
        session, _PLAYED_IN, track=track_id, limit=page.size, offset=page.offset
    )
    for row in played_in:
        row["cue"] = format_cue(row["cue_s"])
    by_month = _run(session, _BY_MONTH, track=track_id)
    return {
        **track,
        "plays": plays,
        "first_played": first,
        "last_played": last,
        "played_in": played_in,
        "page": page.number,
        "plays_by_month": [{"month": m, "plays": n} for m, n in by_month],
        "transitions": transitions(session, track_id),
    }


def _transitions_statement() -> Any:
    """``(step, track_id, count)``: step -1 for a track played right before, +1 after.

    The slots (see the module) of the sets that play the track are computed once (a CTE,
    which both databases materialize when it is read twice) and joined to themselves."""
    played = select(SetEntry.set_id).where(SetEntry.track_id == _TRACK).distinct()
    starts = case((SetEntry.with_previous, 0), else_=1)
    slot = func.sum(starts).over(partition_by=SetEntry.set_id, order_by=SetEntry.ordinal)
    slots = (
        select(SetEntry.set_id, SetEntry.track_id, slot.label("slot"))
        .where(SetEntry.set_id.in_(played))
        .cte("slots")
    )
    here, there = slots.alias("here"), slots.alias("there")
    step = (there.c.slot - here.c.slot).label("step")
    near = or_(there.c.slot == here.c.slot - 1, there.c.slot == here.c.slot + 1)
    return (
        select(step, there.c.track_id, func.count())
        .select_from(here)
        .join(there, and_(there.c.set_id == here.c.set_id, near))
        .where(here.c.track_id == _TRACK, there.c.track_id.is_not(None))
        .group_by(step, there.c.track_id)
    )


_TRANSITIONS = _transitions_statement()


def transitions(session: Session, track_id: int, limit: int = TOP) -> dict[str, Any]:
    """What was played right before and right after the track, most often first."""
    sides: dict[int, list[tuple[int, int]]] = {-1: [], 1: []}
    for step, other, count in _run(session, _TRANSITIONS, track=track_id):
        sides[step].append((other, count))
    top = {s: sorted(rows, key=lambda r: (-r[1], r[0]))[:limit] for s, rows in sides.items()}
    tracks = _track_summaries(session, (t for rows in top.values() for t, _ in rows))
    return {
        name: [{"track": tracks[t], "count": n} for t, n in top[step] if t in tracks]
        for name, step in (("before", -1), ("after", 1))
    }


# --- The whole store -------------------------------------------------------------------


AGGREGATE_TTL = 60.0
"""Seconds a whole-store figure (most played, counts, plays per month) is kept: each reads
every entry (a second or more at millions), and the archive changes slowly."""
_aggregates: dict[tuple[str, str, int], tuple[float, object]] = {}
_T = TypeVar("_T")


def _aggregate(session: Session, name: str, arg: int, compute: Callable[[], _T]) -> _T:
    """``compute()``, or its value from the last :data:`AGGREGATE_TTL` seconds."""
    key = (str(session.get_bind().engine.url), name, arg)
    now = time.monotonic()
    cached = _aggregates.get(key)
    if cached is not None and now - cached[0] < AGGREGATE_TTL:
        return cast(_T, cached[1])  # stored under the same key by the same compute
    value = compute()
    _aggregates[key] = (now, value)
    return value


_MOST_PLAYED = (
    select(SetEntry.track_id, func.count().label("plays"))
    .where(SetEntry.track_id.is_not(None))
    .group_by(SetEntry.track_id)
    .order_by(func.count().desc(), SetEntry.track_id)
    .limit(bindparam("limit"))
)


def most_played(session: Session, limit: int = TOP) -> list[dict[str, Any]]:
    """The tracks with the most plays in the whole store (kept for a minute)."""
    return _aggregate(
        session, "most_played", limit,
        lambda: _counted_tracks(session, _MOST_PLAYED, limit=limit),
    )  # fmt: skip


_RECENT = (
    select(*_SET_COLUMNS)
    .join(Source, Source.id == DJSetRow.source_id)
    .order_by(DJSetRow.id.desc())
    .limit(bindparam("limit"))
)


def recent_sets(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The sets stored last."""
    return _set_summaries(session, _RECENT, limit=limit)


def stats(session: Session) -> dict[str, Any]:
    """Counts of what the store holds, and plays per month (kept for a minute)."""
    return _aggregate(session, "stats", 0, lambda: _stats(session))


def _stats(session: Session) -> dict[str, Any]:
    counts = {
        "sets": session.scalar(select(func.count()).select_from(DJSetRow)),
        "entries": session.scalar(select(func.count()).select_from(SetEntry)),
        "tracks": session.scalar(select(func.count()).select_from(Track)),
        "artists": session.scalar(select(func.count()).select_from(Artist)),
        "djs": session.scalar(select(func.count(SetDJ.artist_id.distinct()))),
        "sources": session.scalar(select(func.count()).select_from(Source)),
        "runs": session.scalar(select(func.count()).select_from(CrawlRun)),
    }
    month = func.substr(DJSetRow.date, 1, 7).label("month")
    by_month = (
        select(month, func.count())
        .select_from(SetEntry)
        .join(DJSetRow, DJSetRow.id == SetEntry.set_id)
        .where(func.length(DJSetRow.date) >= 7)
        .group_by(month)
        .order_by(month)
    )
    return {
        "counts": counts,
        "plays_by_month": [{"month": m, "plays": n} for m, n in session.execute(by_month)],
    }


# --- Crawl runs ------------------------------------------------------------------------


def list_runs(session: Session, page: Page) -> tuple[list[dict[str, Any]], int]:
    """Crawl runs, newest first, each with its stats and politeness summary."""
    total = session.scalar(select(func.count()).select_from(CrawlRun)) or 0
    stmt = (
        select(CrawlRun)
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(page.size)
        .offset(page.offset)
    )
    runs = []
    for run in session.scalars(stmt):
        stats_ = dict(run.stats or {})
        runs.append(
            {
                "id": run.id,
                "spider": run.spider,
                "name": run.name,
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "finish_reason": run.finish_reason,
                "outcome": stats_.get("crawl/outcome"),
                "stats": stats_,
                "politeness": dict(run.politeness or {}),
            }
        )
    return runs, total
