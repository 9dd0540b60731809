"""The enrichment's reads and writes: tracks still missing an MBID, and what was found.

Like the repository, functions take a session and never commit. A value a source gave is
never overwritten: a match is written only where ``mbid`` is still empty, ISRCs and length
only where the track has none. Every track asked about is marked (``mbid_checked_at``),
so a second run, or a run resumed after a stop, asks only for the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from crawler.enrich.matching import Wanted
from crawler.store.db import rowcount
from crawler.store.models import Artist, SetEntry, Track

__all__ = ["count_pending", "iter_pending", "record_lookup"]


def _pending(retry: bool):  # type: ignore[no-untyped-def]
    conditions = [Track.mbid.is_(None), Track.title.is_not(None), Track.artist_id.is_not(None)]
    if not retry:
        conditions.append(Track.mbid_checked_at.is_(None))
    return and_(*conditions)


def count_pending(session: Session, retry: bool = False) -> int:
    return session.scalar(select(func.count()).select_from(Track).where(_pending(retry))) or 0


def iter_pending(
    session: Session, limit: int | None = None, retry: bool = False, batch: int = 500
) -> Iterator[Wanted]:
    """Tracks to look up, oldest first, read in batches (a store may hold millions)."""
    after, given = 0, 0
    while limit is None or given < limit:
        size = batch if limit is None else min(batch, limit - given)
        stmt = (
            select(Track.id, Artist.name, Track.title, Track.version, Track.duration_s)
            .join(Artist, Artist.id == Track.artist_id)
            .where(_pending(retry), Track.id > after)
            .order_by(Track.id)
            .limit(size)
        )
        rows = session.execute(stmt).all()
        if not rows:
            return
        for track_id, artist, title, version, duration in rows:
            yield Wanted(track_id, artist, title or "", version, duration)
        after, given = rows[-1][0], given + len(rows)


def record_lookup(
    session: Session,
    track_id: int,
    now: datetime,
    mbid: str | None = None,
    score: float | None = None,
    isrcs: list[str] | None = None,
    duration_s: int | None = None,
) -> bool:
    """Write one answer (``mbid`` None: nothing good enough); True when a match was stored.

    When another track already holds the MBID, the two are one recording: this track's
    entries move to it (track identity follows the MBID when both sides have one).
    """
    values: dict[str, object] = {"mbid_checked_at": now}
    if mbid is None:
        session.execute(update(Track).where(Track.id == track_id).values(**values))
        return False
    values |= {"mbid": mbid, "mbid_score": score, "mbid_matched_at": now}
    stored = rowcount(
        session.execute(
            update(Track).where(Track.id == track_id, Track.mbid.is_(None)).values(**values)
        )
    )
    if not stored:  # a source stated an MBID since the lookup began: it stays
        return False
    if isrcs and not session.scalar(select(Track.isrcs).where(Track.id == track_id)):
        session.execute(update(Track).where(Track.id == track_id).values(isrcs=list(isrcs)))
    if duration_s:
        session.execute(
            update(Track)
            .where(Track.id == track_id, Track.duration_s.is_(None))
            .values(duration_s=duration_s)
        )
    same = session.scalar(
        select(Track.id).where(Track.mbid == mbid, Track.id != track_id).order_by(Track.id)
    )
    if same is not None:
        session.execute(update(SetEntry).where(SetEntry.track_id == track_id).values(track_id=same))
    return True
