"""Sets in the store: their rows, DJs and entries, written in bulk and read back as items.
Functions take a session and never commit: the caller owns the transaction
(``with factory.begin() as session``).

Writes are idempotent upserts keyed by URL (sets) and by identity key (sources, artists,
tracks), so that crawling or importing the same thing twice changes nothing, and workers
on several machines can write the same set at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from crawler.items import (
    SET_FIELDS,
    TRACK_FIELDS,
    TRACK_KEY_INDEX,
    TRACK_RELEASE_GROUP_INDEX,
    DJSet,
    TrackEntry,
    ai_use_of,
    captured_at,
    mark_provenance,
)
from crawler.normalize import artist_key, track_key
from crawler.store.db import chunks, dialect_insert, rowcount
from crawler.store.identifiers import link_identifiers
from crawler.store.models import Artist, DJSetRow, SetDJ, SetEntry, Source, Track

__all__ = [
    "KeyCache",
    "content_hash",
    "iter_sets",
    "mark_sets_gone",
    "store_set",
    "store_sets",
]


class KeyCache:
    """Ids of sources, artists and tracks by identity key, kept from one batch to the next
    so that a track seen in many sets is looked up once. Clear it when a transaction
    rolls back (ids it learnt there may not exist)."""

    def __init__(self) -> None:
        self.sources: dict[str, int] = {}
        self.artists: dict[str, int] = {}
        self.tracks: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.sources) + len(self.artists) + len(self.tracks)

    def clear(self) -> None:
        self.sources.clear()
        self.artists.clear()
        self.tracks.clear()


# Identity keys are pure functions of short strings, and the same artists and tracks come
# back in set after set: remembering the latest ones saves most of the work.
_artist_key = lru_cache(maxsize=65536)(artist_key)
_track_key = lru_cache(maxsize=65536)(track_key)


_SET_HEAD = tuple(f for f in SET_FIELDS if f != "tracks")
# One C call reading every field, in order (a getattr per field cost more at 20 tracks a
# set); the hidden attributes a pipeline may set on an item are not fields, so not read.
_track_values = attrgetter(*TRACK_FIELDS)


_head_values = attrgetter(*_SET_HEAD)


def content_hash(item: DJSet) -> str:
    """A digest of everything a set holds (fields in a fixed order; no ``asdict``, which
    deep-copies and was the slowest step of a large import)."""
    return hash_values(_head_values(item), [_track_values(t) for t in item.tracks])


def hash_values(head: tuple[Any, ...], tracks: list[tuple[Any, ...]]) -> str:
    """:func:`content_hash` of a set given as its fields but tracks, and its tracks' fields.

    A track's key and release-group MBID are hashed only when it has them: the digests
    of sets stored before tracks had them stay the same."""
    k, g = TRACK_KEY_INDEX, TRACK_RELEASE_GROUP_INDEX  # k < g: cutting g keeps k in place
    tracks = [t if t[g] is not None else t[:g] + t[g + 1 :] for t in tracks]
    tracks = [t if t[k] is not None else t[:k] + t[k + 1 :] for t in tracks]
    text = json.dumps([*head, tracks], separators=(",", ":"), default=str)  # ASCII: 3x faster
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- what reader processes prepare ------------------------------------------------------
def keep_prepared(
    item: DJSet,
    head: tuple[Any, ...],
    tracks: list[tuple[Any, ...]],
    digest: str,
    content_key: str | None,
) -> None:
    """Remember a set's content hash and content key, computed elsewhere from ``head``
    (its fields but tracks, in order) and ``tracks`` (each track's fields)."""
    item.notes.prepared = (head, tracks, digest, content_key)


def prepared(item: DJSet) -> tuple[str, str | None] | None:
    """The content hash and content key kept for ``item``, while it still holds the
    values they were computed from (a pipeline may have changed it since); else None.

    Comparing the values costs a fifth of hashing them, and the store pays it in the
    crawl process, which is what an import waits for: the hashing is done by readers.
    """
    kept = item.notes.prepared
    if kept is None:
        return None
    head, tracks, digest, key = kept
    if _head_values(item) != head or [_track_values(t) for t in item.tracks] != tracks:
        return None
    return digest, key


def _upsert_keys(
    session: Session, table: Table, rows: dict[str, dict[str, Any]], cache: dict[str, int]
) -> dict[str, int]:
    """Ids of sources, artists or tracks by key, inserting the missing ones (concurrent
    inserts are harmless)."""
    missing = [k for k in rows if k not in cache]
    if missing:
        stmt = dialect_insert(session, table).on_conflict_do_nothing(index_elements=["key"])
        session.execute(stmt, [rows[k] for k in missing])
        for chunk in chunks(missing):
            found = session.execute(select(table.c.key, table.c.id).where(table.c.key.in_(chunk)))
            cache.update({key: id_ for key, id_ in found})
    return {k: cache[k] for k in rows}


def store_set(session: Session, item: DJSet, now: datetime, cache: KeyCache | None = None) -> str:
    """Insert or update one set; returns ``"created"``, ``"updated"`` or ``"unchanged"``."""
    return store_sets(session, [item], now, cache)[0]


def store_sets(
    session: Session,
    items: Sequence[DJSet],
    now: datetime,
    cache: KeyCache | None = None,
    content_keys: Sequence[str | None] | None = None,
    digests: Sequence[str] | None = None,
) -> list[str]:
    """Insert or update sets; returns ``"created"``, ``"updated"`` or ``"unchanged"`` each.

    An unchanged set (same content hash) is not written at all. The work is done in bulk
    (a handful of statements per call, whatever the number of sets), which is what makes
    large imports fast. ``cache`` maps identity keys to ids across calls; clear it when a
    transaction rolls back. ``content_keys``, one per item (crawler.store.identity), are
    written with the sets they belong to; ``digests``, their content hashes when known.
    """
    cache = KeyCache() if cache is None else cache
    if len({item.url for item in items}) < len(items):
        return _store_in_order(session, items, now, cache, content_keys)
    if digests is None:
        digests = [content_hash(item) for item in items]
    stored = _stored_hashes(session, [item.url for item in items])
    outcomes = [
        _outcome(item.url, digest, stored) for item, digest in zip(items, digests, strict=True)
    ]
    todo = [(i, d) for i, d, o in zip(items, digests, outcomes, strict=True) if o != "unchanged"]
    _keep_provenance(session, [i for i, o in zip(items, outcomes, strict=True) if o == "unchanged"])
    if todo:
        keys_by_url = None
        if content_keys is not None:
            keys_by_url = {item.url: key for item, key in zip(items, content_keys, strict=True)}
        _write_sets(session, todo, stored, now, cache, keys_by_url)
    return outcomes


def _store_in_order(
    session: Session,
    items: Sequence[DJSet],
    now: datetime,
    cache: KeyCache,
    content_keys: Sequence[str | None] | None,
) -> list[str]:
    """The same URL twice in one call: store one set at a time, so the last one wins."""
    keyed = content_keys or [None] * len(items)
    return [
        store_sets(session, [item], now, cache, None if content_keys is None else [key])[0]
        for item, key in zip(items, keyed, strict=True)
    ]


def _outcome(url: str, digest: str, stored: dict[str, str]) -> str:
    if url not in stored:
        return "created"
    return "unchanged" if stored[url] == digest else "updated"


def _write_sets(
    session: Session,
    todo: list[tuple[DJSet, str]],
    stored: dict[str, str],
    now: datetime,
    cache: KeyCache,
    keys_by_url: dict[str, str | None] | None,
) -> None:
    """Write new and changed sets (with their content hashes): their sources, artists and
    tracks first, then their own rows, DJs, entries and identifiers."""
    keys = _Keys.of([item for item, _ in todo])
    source_ids = _upsert_keys(session, Source.__table__, keys.source_rows, cache.sources)
    artist_ids = _upsert_keys(session, Artist.__table__, keys.artist_rows, cache.artists)
    keys.link_artists(artist_ids)
    track_ids = _upsert_keys(session, Track.__table__, keys.track_rows, cache.tracks)
    set_ids = _upsert_sets(session, todo, source_ids, now, keys_by_url)
    replaced = [set_ids[item.url] for item, _ in todo if item.url in stored]
    _replace_entries(
        session,
        replaced,
        _dj_rows(todo, set_ids, keys.artists, artist_ids),
        _entry_rows(todo, set_ids, keys.entry_keys, track_ids),
    )
    link_identifiers(session, [(set_ids[item.url], item) for item, _ in todo])


def _stored_hashes(session: Session, urls: list[str]) -> dict[str, str]:
    """The content hash of each set already stored, by URL."""
    stored: dict[str, str] = {}
    for chunk in chunks(urls):
        stmt = select(DJSetRow.url, DJSetRow.content_hash).where(DJSetRow.url.in_(chunk))
        stored.update({url: digest for url, digest in session.execute(stmt)})
    return stored


@dataclass
class _Keys:
    """The identity rows a batch of sets needs: its sources, artists and tracks by key,
    and each set's track keys in order (None for an entry that is not one track)."""

    source_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    artists: dict[str, str] = field(default_factory=dict)
    """Artist key by name as written."""
    artist_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    track_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    entry_keys: list[list[str | None]] = field(default_factory=list)

    @classmethod
    def of(cls, items: list[DJSet]) -> _Keys:
        keys = cls()
        for item in items:
            keys.source_rows.setdefault(item.source, {"key": item.source})
            for name in item.djs:
                keys._artist(name)
            keys.entry_keys.append([keys._track(t) for t in item.tracks])
        return keys

    def _artist(self, name: str) -> str:
        """The key of an artist's name, computed once per name."""
        key = self.artists.get(name)
        if key is None:
            self.artists[name] = key = _artist_key(name)
            if key and key not in self.artist_rows:
                self.artist_rows[key] = {"key": key, "name": name}
        return key

    def _track(self, t: TrackEntry) -> str | None:
        artist, title = t.artist, t.title
        akey = self._artist(artist) if artist else None
        if t.unknown or not (title or artist):
            # Not one track: "ID - ID", nor "Noisia - ID" (all of an artist's unknown
            # tracks are not one track).
            return None
        key = _track_key(artist, title, t.version)
        if key not in self.track_rows:
            self.track_rows[key] = {
                "key": key, "artist": akey, "title": title, "version": t.version, "label": t.label,
            }  # fmt: skip
        return key

    def link_artists(self, artist_ids: dict[str, int]) -> None:
        """Put each track row's artist id in place of its artist key."""
        for row in self.track_rows.values():
            akey = row.pop("artist")
            row["artist_id"] = artist_ids.get(akey) if akey else None


def _upsert_sets(
    session: Session,
    todo: list[tuple[DJSet, str]],
    source_ids: dict[str, int],
    now: datetime,
    content_keys: dict[str, str | None] | None = None,
) -> dict[str, int]:
    """Insert or update the sets' own rows (by URL); their ids by URL. With
    ``content_keys`` (by URL) the content key is written too, in the same statement:
    an UPDATE of it afterwards also rewrote each set's search-index row."""
    sets = DJSetRow.__table__
    rows = [
        {
            "source_id": source_ids[item.source],
            "url": item.url,
            "title": item.title,
            "djs": list(item.djs),
            "event": item.event,
            "venue": item.venue,
            "date": item.date,
            "duration_s": item.duration_s,
            "genres": list(item.genres),
            "label": item.label,
            "content_hash": digest,
            "first_seen": now,
            "updated_at": now,
            "gone_at": None,
            "ai_use": ai_use_of(item),
            "captured_at": _naive(captured_at(item)),
        }
        for item, digest in todo
    ]
    if content_keys is not None:
        for row, (item, _) in zip(rows, todo, strict=True):
            row["content_key"] = content_keys[item.url]
    upsert = dialect_insert(session, sets)
    updated = {c: upsert.excluded[c] for c in rows[0] if c not in ("url", "first_seen")}
    session.execute(upsert.on_conflict_do_update(index_elements=["url"], set_=updated), rows)
    set_ids: dict[str, int] = {}
    for chunk in chunks([item.url for item, _ in todo]):
        found = session.execute(select(sets.c.url, sets.c.id).where(sets.c.url.in_(chunk)))
        set_ids.update({url: id_ for url, id_ in found})
    return set_ids


def _naive(when: datetime | None) -> datetime | None:
    """Naive UTC, as the store keeps times."""
    if when is None or when.tzinfo is None:
        return when
    return when.astimezone(UTC).replace(tzinfo=None)


def _keep_provenance(session: Session, unchanged: list[DJSet]) -> None:
    """An unchanged set is not rewritten, but what applied to its page this time (its
    AI-use preferences, its capture date) is kept (migration 0010)."""
    rows = [
        {"u_url": item.url, "u_ai_use": ai_use, "u_captured_at": _naive(captured_at(item))}
        for item in unchanged
        if (ai_use := ai_use_of(item)) is not None or captured_at(item) is not None
    ]
    if not rows:
        return
    sets = DJSetRow.__table__
    stmt = (
        sets.update()
        .where(sets.c.url == bindparam("u_url"))
        .values(ai_use=bindparam("u_ai_use"), captured_at=bindparam("u_captured_at"))
    )
    session.execute(stmt, rows)


def _dj_rows(
    todo: list[tuple[DJSet, str]],
    set_ids: dict[str, int],
    artist_keys: dict[str, str],
    artist_ids: dict[str, int],
) -> list[dict[str, int]]:
    """Each set's DJs in order, each artist once per set."""
    rows: list[dict[str, int]] = []
    for item, _ in todo:
        set_id = set_ids[item.url]
        linked: list[int] = []
        for name in item.djs:
            artist_id = artist_ids.get(artist_keys[name])
            if artist_id is not None and artist_id not in linked:
                rows.append({"set_id": set_id, "ordinal": len(linked), "artist_id": artist_id})
                linked.append(artist_id)
    return rows


# The set entry columns written from a TrackEntry's own fields; its identifier fields
# (TRACK_ID_FIELDS) are written by crawler.store.identifiers, but for the release-group
# MBID, which links to nothing and is written with the entry.
_ENTRY_FIELDS = (
    "position",
    "cue_s",
    "artist",
    "featured",
    "title",
    "version",
    "label",
    "unknown",
    "with_previous",
    "raw",
    "key",
)
_ENTRY_COLUMNS = ("set_id", "ordinal", "track_id", *_ENTRY_FIELDS, "release_group_mbid")


def _entry_rows(
    todo: list[tuple[DJSet, str]],
    set_ids: dict[str, int],
    entry_keys: list[list[str | None]],
    track_ids: dict[str, int],
) -> list[tuple[Any, ...]]:
    """Each set's entries as rows of :data:`_ENTRY_COLUMNS`, JSON already serialized (this
    loop runs for every track of an import: kept tight)."""
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    dumps = json.dumps
    for (item, _), keys in zip(todo, entry_keys, strict=True):
        set_id = set_ids[item.url]
        for n, (t, key) in enumerate(zip(item.tracks, keys, strict=True)):
            append((
                set_id, n, track_ids[key] if key else None,
                t.position, t.cue_s, t.artist,
                dumps(t.featured, ensure_ascii=False) if t.featured else "[]",
                t.title, t.version, t.label, t.unknown, t.with_previous, t.raw, t.key,
                t.release_group_mbid,
            ))  # fmt: skip
    return rows


def _replace_entries(
    session: Session,
    replaced: list[int],
    dj_rows: list[dict[str, int]],
    entry_rows: list[tuple[Any, ...]],
) -> None:
    """Drop the DJs and entries of the sets in ``replaced``, then write the batch's."""
    for chunk in chunks(replaced):
        session.execute(delete(SetEntry).where(SetEntry.set_id.in_(chunk)))
        session.execute(delete(SetDJ).where(SetDJ.set_id.in_(chunk)))
    if dj_rows:
        session.execute(insert(SetDJ.__table__), dj_rows)
    _insert_entries(session, entry_rows)


def _insert_entries(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Set entries by a plain ``executemany`` straight to the driver (JSON serialized).

    The one raw statement of the writer, kept because it was measured: entries are most
    of what an import writes (20 a set). Storing 10,000 sets of 20 tracks (bench_import's
    shape) with a Core ``insert(SetEntry)`` of a dict per row took 0.28 ms a set against
    0.20 here (SQLite): 0.8 s more on an import whose work bench_import times at ~5 s.
    """
    if not rows:
        return
    conn = session.connection()
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(SetEntry.__tablename__)} ({', '.join(map(quote, _ENTRY_COLUMNS))})"
        f" VALUES ({', '.join([mark] * len(_ENTRY_COLUMNS))})"
    )
    conn.exec_driver_sql(sql, rows)


def _to_item(row: DJSetRow) -> DJSet:
    item = _item_of(row)
    mark_provenance(item, row.captured_at, row.ai_use)
    return item


def _item_of(row: DJSetRow) -> DJSet:
    return DJSet(
        source=row.source.key,
        url=row.url,
        title=row.title,
        djs=list(row.djs or []),
        event=row.event,
        venue=row.venue,
        date=row.date,
        duration_s=row.duration_s,
        genres=list(row.genres or []),
        label=row.label,
        tracks=[
            TrackEntry(
                **{f: getattr(e, f) for f in _ENTRY_FIELDS},
                recording_mbid=e.recording_mbid,
                release_group_mbid=e.release_group_mbid,
                # kept on the track, first source first (crawler.store.identifiers)
                isrcs=list(e.track.isrcs or []) if e.track is not None else [],
                duration_s=e.track.duration_s if e.track is not None else None,
            )
            for e in row.entries
        ],
    )


def iter_sets(
    session: Session, include_gone: bool = True, batch: int = 200, respect_ai_use: bool = False
) -> Iterator[DJSet]:
    """Every stored set as an item, in insertion order, streamed in batches; with
    ``respect_ai_use``, not those whose page was reserved from AI training."""
    stmt = (
        select(DJSetRow)
        .options(
            selectinload(DJSetRow.entries).selectinload(SetEntry.track),
            selectinload(DJSetRow.source),
        )
        .order_by(DJSetRow.id)
    )
    if not include_gone:
        stmt = stmt.where(DJSetRow.gone_at.is_(None))
    for row in session.scalars(stmt.execution_options(yield_per=batch)):
        if respect_ai_use and (row.ai_use or {}).get("train_ai") is False:
            continue
        yield _to_item(row)


def mark_sets_gone(session: Session, page_url: str, now: datetime) -> int:
    """Mark the sets of a page that answered 404/410 as gone (never deletes); returns how many
    were newly marked. A page's sets have its URL, or its URL and a ``#`` fragment."""
    stmt = (
        update(DJSetRow)
        .where(
            or_(DJSetRow.url == page_url, DJSetRow.url.startswith(page_url + "#", autoescape=True)),
            DJSetRow.gone_at.is_(None),
        )
        .values(gone_at=now)
    )
    return rowcount(session.execute(stmt)) or 0
