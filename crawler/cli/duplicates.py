"""``crawler duplicates``: report near-duplicate artists, tracks or sets, merge two on request.

Identity keys already make one row of "Tale Of Us" and "Tale of Us", and content identity
one row of a set seen at two URLs; this finds what they cannot (typos, a letter more or
less, a track more or less) and lists the pairs with their score and how much each row
is used, so that the user decides. Nothing changes unless ``--merge KEEP DROP`` is given;
a merge moves every reference from DROP to KEEP and deletes DROP. A merged artist's
spelling is remembered (``artist_aliases``) and replaced wherever a name is stored (the
sets' DJ lists and the entries' artist credits, hence feeds), so that when it comes back
it maps to the kept row.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crawler.logsafe import mask_url
from crawler.normalize.duplicates import DEFAULT_THRESHOLD, near_duplicate_ids
from crawler.settings import DATABASE_URL
from crawler.store.db import StoreUnavailable, existing_store, rowcount
from crawler.store.identity import DEFAULT_SET_SIMILARITY, merge_sets, near_duplicate_sets
from crawler.store.models import Artist, ArtistAlias, DJSetRow, SetDJ, SetEntry, Track

_Row = TypeVar("_Row", Artist, Track)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "duplicates", help="report near-duplicate artists or tracks; merge two when asked"
    )
    parser.add_argument(
        "--database",
        default=None,
        help=f"database URL (default: {mask_url(DATABASE_URL)})",
    )
    parser.add_argument("--kind", choices=("artists", "tracks", "sets"), default="artists")
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help=f"similarity (0-100) from which a pair is reported (default {DEFAULT_THRESHOLD};"
        f" {DEFAULT_SET_SIMILARITY} for sets: track-sequence similarity)",
    )
    parser.add_argument("--limit", type=int, default=None, help="report at most this many pairs")
    parser.add_argument(
        "--merge",
        nargs=2,
        type=int,
        metavar=("KEEP_ID", "DROP_ID"),
        help="merge row DROP_ID into row KEEP_ID (of --kind) instead of reporting",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.threshold is None:
        args.threshold = DEFAULT_SET_SIMILARITY if args.kind == "sets" else DEFAULT_THRESHOLD
    if not 0 <= args.threshold <= 100:
        print("crawler duplicates: --threshold is from 0 to 100", file=sys.stderr)
        return 2
    try:
        factory = existing_store(args.database or DATABASE_URL)
    except StoreUnavailable as exc:
        print(f"crawler duplicates: {exc}", file=sys.stderr)
        return 1
    if args.merge:
        keep, drop = args.merge
        merge = {"artists": merge_artists, "tracks": merge_tracks, "sets": _merge_sets}[args.kind]
        try:
            with factory.begin() as session:
                message = merge(session, keep, drop)
        except LookupError as exc:
            print(f"crawler duplicates: {exc}", file=sys.stderr)
            return 2
        print(message)
        return 0
    if args.kind == "sets":
        return _report_sets(factory, args)
    with factory() as session:
        names, uses = (_artists if args.kind == "artists" else _tracks)(session)
    pairs = near_duplicate_ids(names, args.threshold)[: args.limit]
    for a, b, score in pairs:
        left = f"{a:>7} {names[a]!r} ({uses[a]} uses)"
        print(f"{score:5.1f}  {left}  ~  {b:>7} {names[b]!r} ({uses[b]} uses)")
    kind = args.kind[:-1]
    print(
        f"{len(pairs)} near-duplicate {kind} pair(s) among {len(names)} {args.kind};"
        f" merge one with: crawler duplicates --kind {args.kind} --merge KEEP_ID DROP_ID",
        file=sys.stderr,
    )
    return 0


def _report_sets(factory: Any, args: argparse.Namespace) -> int:
    with factory() as session:
        pairs = near_duplicate_sets(session, args.threshold)[: args.limit]
        rows = {r.id: r for r in session.scalars(select(DJSetRow))}
        for a, b, score in pairs:
            left, right = rows[a], rows[b]
            print(
                f"{score:5.1f}  {a:>7} {left.title!r} {left.date or ''} {left.url}"
                f"  ~  {b:>7} {right.title!r} {right.date or ''} {right.url}"
            )
    print(
        f"{len(pairs)} near-duplicate set pair(s) among {len(rows)} sets;"
        " merge one with: crawler duplicates --kind sets --merge KEEP_ID DROP_ID",
        file=sys.stderr,
    )
    return 0


def _merge_sets(session: Session, keep: int, drop: int) -> str:
    return merge_sets(session, keep, drop, datetime.now(UTC).replace(tzinfo=None))


def _artists(session: Session) -> tuple[dict[int, str], Counter[int]]:
    """Artist names by id, and how many tracks and sets credit each."""
    names = dict(session.execute(select(Artist.id, Artist.name).order_by(Artist.id)).all())
    uses: Counter[int] = Counter()
    for model in (Track, SetDJ):
        stmt = select(model.artist_id, func.count()).group_by(model.artist_id)
        uses.update({id_: n for id_, n in session.execute(stmt) if id_ is not None})
    return names, uses


def _tracks(session: Session) -> tuple[dict[int, str], Counter[int]]:
    """Tracks as "Artist - Title (Version)" by id, and how many set entries play each."""
    stmt = (
        select(Track.id, Artist.name, Track.title, Track.version)
        .outerjoin(Artist, Track.artist_id == Artist.id)
        .order_by(Track.id)
    )
    names = {}
    for id_, artist, title, version in session.execute(stmt):
        text = f"{artist or 'ID'} - {title or 'ID'}"
        names[id_] = f"{text} ({version})" if version else text
    count = select(SetEntry.track_id, func.count()).group_by(SetEntry.track_id)
    uses: Counter[int] = Counter({i: n for i, n in session.execute(count) if i is not None})
    return names, uses


def _get(session: Session, model: type[_Row], keep: int, drop: int) -> tuple[_Row, _Row]:
    if keep == drop:
        raise LookupError("KEEP_ID and DROP_ID are the same row")
    kept, dropped = session.get(model, keep), session.get(model, drop)
    for id_, row in ((keep, kept), (drop, dropped)):
        if row is None:
            raise LookupError(f"no {model.__tablename__[:-1]} with id {id_}")
    assert kept is not None and dropped is not None
    return kept, dropped


def merge_tracks(session: Session, keep: int, drop: int) -> str:
    """Point every set entry of track ``drop`` at ``keep``, then delete ``drop``."""
    _get(session, Track, keep, drop)
    moved = _move_entries(session, drop, keep)
    session.execute(delete(Track).where(Track.id == drop))
    return f"merged track {drop} into {keep}: {moved} set entries moved"


def merge_artists(session: Session, keep: int, drop: int) -> str:
    """Move the tracks and set credits of artist ``drop`` to ``keep``, then delete ``drop``.

    A track of ``drop`` that ``keep`` also has (same title and version) is merged into
    it; the others change artist, and their key follows, so that the next crawl writing
    the kept spelling finds them.
    """
    kept, dropped = _get(session, Artist, keep, drop)
    tracks = merged = 0
    prefix = dropped.key + "|"
    for track in session.scalars(select(Track).where(Track.artist_id == drop)).all():
        new_key = (
            kept.key + "|" + track.key[len(prefix) :] if track.key.startswith(prefix) else None
        )
        twin = session.scalar(select(Track.id).where(Track.key == new_key)) if new_key else None
        if twin is not None:
            _move_entries(session, track.id, twin)
            session.delete(track)
            merged += 1
        else:
            track.artist_id = keep
            if new_key is not None:
                track.key = new_key
            tracks += 1
        session.flush()
    credited = set(session.scalars(select(SetDJ.set_id).where(SetDJ.artist_id == keep)))
    credits = 0
    for row in session.scalars(select(SetDJ).where(SetDJ.artist_id == drop)).all():
        if row.set_id in credited:
            session.delete(row)
        else:
            row.artist_id = keep
            credited.add(row.set_id)
            credits += 1
    session.flush()
    renamed = _rename_everywhere(session, dropped, kept)
    session.execute(
        update(ArtistAlias)
        .where(ArtistAlias.artist_id == drop)
        .values(artist_id=keep, name=kept.name)
    )
    session.merge(
        ArtistAlias(
            key=dropped.key,
            artist_id=keep,
            name=kept.name,
            merged_at=datetime.now(UTC).replace(tzinfo=None),
        )
    )
    session.flush()
    session.delete(dropped)
    return (
        f"merged artist {drop} ({dropped.name!r}) into {keep} ({kept.name!r}):"
        f" {tracks} tracks moved, {merged} tracks merged, {credits} set credits moved,"
        f" {renamed} names rewritten; the spelling {dropped.name!r} now maps to {keep}"
    )


def _rename_everywhere(session: Session, dropped: Artist, kept: Artist) -> int:
    """Write the kept name where the merged spelling was stored: sets' DJ lists and set
    entries' artist credits (what feeds show)."""
    from crawler.normalize import artist_key

    renamed = 0
    for row in session.scalars(select(DJSetRow).where(DJSetRow.djs.is_not(None))):
        djs = [kept.name if artist_key(n) == dropped.key else n for n in row.djs or []]
        if djs != list(row.djs or []):
            row.djs = djs
            renamed += 1
    result = session.execute(
        update(SetEntry).where(SetEntry.artist == dropped.name).values(artist=kept.name)
    )
    return renamed + (rowcount(result) or 0)


def _move_entries(session: Session, source: int, target: int) -> int:
    result = session.execute(
        update(SetEntry).where(SetEntry.track_id == source).values(track_id=target)
    )
    return rowcount(result) or 0
