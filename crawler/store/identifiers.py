"""What sources say about recordings: MBIDs, ISRCs and lengths, written after a set's rows.

Tracks are keyed by their identity key (crawler.normalize), so two spellings of one
track are one row as long as their keys agree. An MBID is stronger: an entry whose source
gives a recording MBID is linked to the track holding that MBID whatever its spelling,
and two entries with one key but different MBIDs are two tracks. Values a source gives
fill only what a track does not know yet; an MBID found by enrichment (``mbid_score`` set)
gives way to one a source states.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crawler.items import DJSet, TrackEntry
from crawler.store.db import chunks
from crawler.store.models import SetEntry, Track

__all__ = ["link_identifiers"]


def link_identifiers(session: Session, sets: Sequence[tuple[int, DJSet]]) -> None:
    """Store the identifiers of the entries of freshly written sets (``(set_id, item)``)."""
    todo = [
        (set_id, ordinal, t)
        for set_id, item in sets
        for ordinal, t in enumerate(item.tracks)
        if t.recording_mbid or t.isrcs or t.duration_s
    ]
    if not todo:
        return
    entries = _entries(session, sorted({set_id for set_id, _, _ in todo}))
    tracks = _tracks_by_id(session, sorted({t for _, t in entries.values() if t is not None}))
    by_mbid = _tracks_by_mbid(session, sorted({m for _, _, t in todo if (m := t.recording_mbid)}))
    for set_id, ordinal, entry in todo:
        entry_id, track_id = entries[(set_id, ordinal)]
        track = tracks.get(track_id) if track_id is not None else None
        if entry.recording_mbid:
            track = _track_for(session, entry, track, by_mbid)
            session.execute(
                update(SetEntry)
                .where(SetEntry.id == entry_id)
                .values(
                    recording_mbid=entry.recording_mbid,
                    track_id=track.id if track is not None else track_id,
                )
            )
        if track is not None:
            _fill(track, entry)
    session.flush()


def _entries(session: Session, set_ids: list[int]) -> dict[tuple[int, int], tuple[int, int | None]]:
    """Each entry's id and track id, by set id and ordinal."""
    entries: dict[tuple[int, int], tuple[int, int | None]] = {}
    for chunk in chunks(set_ids):
        stmt = select(SetEntry.set_id, SetEntry.ordinal, SetEntry.id, SetEntry.track_id)
        for set_id, ordinal, entry_id, track_id in session.execute(
            stmt.where(SetEntry.set_id.in_(chunk))
        ):
            entries[(set_id, ordinal)] = (entry_id, track_id)
    return entries


def _tracks_by_id(session: Session, track_ids: list[int]) -> dict[int, Any]:
    tracks: dict[int, Any] = {}
    for chunk in chunks(track_ids):
        for row in session.execute(select(Track).where(Track.id.in_(chunk))).scalars():
            tracks[row.id] = row
    return tracks


def _tracks_by_mbid(session: Session, mbids: list[str]) -> dict[str, Track]:
    by_mbid: dict[str, Track] = {}
    for chunk in chunks(mbids):
        for row in session.execute(select(Track).where(Track.mbid.in_(chunk))).scalars():
            # Several rows with one MBID (matched before a source stated it): the oldest.
            by_mbid.setdefault(row.mbid, row)  # type: ignore[arg-type]
    return by_mbid


def _track_for(
    session: Session, entry: TrackEntry, track: Track | None, by_mbid: dict[str, Track]
) -> Track | None:
    """The track an entry with a recording MBID belongs to (created when it is new)."""
    mbid = entry.recording_mbid
    assert mbid is not None
    known = by_mbid.get(mbid)
    if known is not None:
        return known
    if track is None:  # an "ID" entry: no track of its own to hang the MBID on
        return None
    if track.mbid is None or track.mbid_score is not None:
        # The key's track had no MBID, or only a guessed one: the source's word wins.
        track.mbid, track.mbid_score, track.mbid_matched_at = mbid, None, None
        by_mbid[mbid] = track
        return track
    if track.mbid == mbid:
        by_mbid[mbid] = track
        return track
    # Same spelling, another recording (a radio edit and an album version, say).
    twin = Track(
        key=f"{track.key}|mbid:{mbid}",
        artist_id=track.artist_id,
        title=track.title,
        version=track.version,
        label=track.label,
        mbid=mbid,
    )
    existing = session.execute(select(Track).where(Track.key == twin.key)).scalar()
    if existing is None:
        session.add(twin)
        session.flush()
    else:
        twin = existing
    by_mbid[mbid] = twin
    return twin


def _fill(track: Track, entry: TrackEntry) -> None:
    """What the track does not know yet, from the entry."""
    if entry.isrcs and not track.isrcs:
        track.isrcs = list(entry.isrcs)
    if entry.duration_s and track.duration_s is None:
        track.duration_s = entry.duration_s
