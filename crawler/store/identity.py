"""Set identity across sources: one ``sets`` row per real set, however often it is seen.

A set is keyed by its URL, but the same set comes from many places: the same export
imported from a copy of its folder, a site's page and the DJ's own export, two sites
listing one radio show. Its *content identity* is what stays the same: the DJs (as
identity keys, in any order), the date when known, and its track keys in order
(``content_key``). A set whose content identity is already stored under another URL is
not stored again: its URL is recorded in ``set_sources`` for the stored set. Sets with
fewer than ``MIN_KNOWN_TRACKS`` identified tracks also need the same source and title,
sets with none have no content identity ("ID - ID" three times says nothing), and the
playlists of one file never stand for each other.

Near matches (a track more or less, a typo in a title) are never merged silently:
``near_duplicate_sets`` reports pairs whose DJs agree, whose dates agree when both are
known, and whose track sequences are at least ``threshold`` % similar (rapidfuzz's
normalized Levenshtein similarity over the sequences of track ids); ``merge_sets``
merges one pair when asked (``crawler duplicates --kind sets``).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from rapidfuzz.distance import Levenshtein
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from crawler.items import DJSet
from crawler.normalize import artist_key, fold
from crawler.store.db import chunks, dialect_insert, rowcount
from crawler.store.models import ArtistAlias, DJSetRow, SetDJ, SetEntry, SetSource
from crawler.store.sets import KeyCache, _artist_key, _track_key, content_hash, prepared, store_sets

MIN_KNOWN_TRACKS = 3
"""Identified tracks a set needs to have a content identity."""
DEFAULT_SET_SIMILARITY = 80.0
"""Track-sequence similarity (0-100) from which ``duplicates --kind sets`` reports a pair."""
_UNKNOWN = "?"


def content_key(item: DJSet) -> str | None:
    """The content identity of a normalized set, or None when it has no known track."""
    # The store's cached key functions: it computes the same keys right after.
    tracks = [
        _UNKNOWN
        if t.unknown or not (t.title or t.artist)
        else _track_key(t.artist, t.title, t.version)
        for t in item.tracks
    ]
    known = sum(k != _UNKNOWN for k in tracks)
    if not known:
        return None
    djs = sorted({_artist_key(name) for name in item.djs} - {""})
    identity: list[object] = [djs, item.date or "", tracks]
    if known < MIN_KNOWN_TRACKS:
        # A short list says little on its own: its title and source must agree too.
        identity += [item.source, fold(item.title)]
    payload = json.dumps(identity, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _document(url: str) -> str:
    """The page or file a URL names, without the fragment naming a playlist in it."""
    return url.split("#", 1)[0]


def store_sets_once(
    session: Session, items: Sequence[DJSet], now: datetime, cache: KeyCache | None = None
) -> list[str]:
    """``store_sets`` with content identity: ``"linked"`` for a set already stored under
    another URL (its URL is added to that set's sources), the store's outcome otherwise.

    Merged artist spellings are written as the kept artist first (``artist_aliases``).
    """
    items = apply_aliases(session, items)
    digests, keys = _digests_and_keys(items)
    known = _stored_keys(session, keys)
    link_to = _links_to_make(session, items, keys, known)
    stored = [i for i in range(len(items)) if i not in link_to]
    results = store_sets(
        session,
        [items[i] for i in stored],
        now,
        cache,
        [keys[i] for i in stored],
        [digests[i] for i in stored],
    )
    outcomes = ["linked"] * len(items)
    for i, outcome in zip(stored, results, strict=True):
        outcomes[i] = outcome
    # An unchanged set whose key is already stored at its URL needs nothing recorded; a
    # written one has its key already (store_sets wrote it with the set).
    record = [
        (items[i], keys[i], outcome != "unchanged")
        for i, outcome in zip(stored, results, strict=True)
        if outcome != "unchanged" or known.get(keys[i] or "", (0, ""))[1] != items[i].url
    ]
    _record_own(session, record, now)
    if link_to:
        ids = _set_ids(session, [t for t in link_to.values() if isinstance(t, str)])
        links = [
            (items[i], target if isinstance(target, int) else ids[target])
            for i, target in link_to.items()
        ]
        _record_links(session, links, now)
    return outcomes


def _digests_and_keys(items: Sequence[DJSet]) -> tuple[list[str], list[str | None]]:
    """Each set's content hash and content key, as a reader process computed them when
    it did."""
    digests: list[str] = []
    keys: list[str | None] = []
    for item in items:
        kept = prepared(item)  # computed by a reader process, when it was
        digest, key = kept if kept is not None else (content_hash(item), content_key(item))
        digests.append(digest)
        keys.append(key)
    return digests, keys


def _stored_keys(session: Session, keys: list[str | None]) -> dict[str, tuple[int, str]]:
    """The id and URL of a stored set holding each of ``keys`` (the first found)."""
    known: dict[str, tuple[int, str]] = {}
    for chunk in chunks(sorted({k for k in keys if k})):
        stmt = select(DJSetRow.content_key, DJSetRow.id, DJSetRow.url)
        for key, id_, url in session.execute(stmt.where(DJSetRow.content_key.in_(chunk))):
            if key is not None:  # always, as matched by IN; the column itself may be NULL
                known.setdefault(key, (id_, url))
    return known


def _links_to_make(
    session: Session,
    items: Sequence[DJSet],
    keys: list[str | None],
    known: dict[str, tuple[int, str]],
) -> dict[int, int | str]:
    """The sets to link rather than store: item index -> the id of the stored set they
    repeat, or the URL of the one stored in this call. A URL that has a set of its own
    keeps it, whatever another set holds."""
    link_to = _repeats(items, keys, known)
    if link_to:
        own = _stored_urls(session, [items[i].url for i in link_to])
        link_to = {i: t for i, t in link_to.items() if items[i].url not in own}
    # A source merged into another set stays that set's (its own row is gone): stored
    # again, it undid the merge the next time its file was imported.
    merged = _merged_sources(session, [it.url for i, it in enumerate(items) if i not in link_to])
    for i, item in enumerate(items):
        if i not in link_to and item.url in merged:
            link_to[i] = merged[item.url]
    return link_to


def _merged_sources(session: Session, urls: list[str]) -> dict[str, int]:
    """URL -> the set it was merged into, for those of ``urls`` that were."""
    found: dict[str, int] = {}
    for chunk in chunks(urls):
        stmt = select(SetSource.url, SetSource.set_id).where(
            SetSource.url.in_(chunk), SetSource.merged
        )
        found.update({url: set_id for url, set_id in session.execute(stmt)})
    return found


def _repeats(
    items: Sequence[DJSet], keys: list[str | None], known: dict[str, tuple[int, str]]
) -> dict[int, int | str]:
    """Sets whose content key a set of another document holds: stored already, or met
    earlier in the batch."""
    first_in_batch: dict[str, int] = {}
    link_to: dict[int, int | str] = {}
    for i, (item, key) in enumerate(zip(items, keys, strict=True)):
        if key is None:
            continue
        if (hit := known.get(key)) is not None and _document(hit[1]) != _document(item.url):
            link_to[i] = hit[0]
        elif key not in known and (j := first_in_batch.get(key)) is not None:
            if _document(items[j].url) != _document(item.url):
                link_to[i] = items[j].url
        else:
            first_in_batch.setdefault(key, i)
    return link_to


def _stored_urls(session: Session, urls: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(urls):
        found.update(session.scalars(select(DJSetRow.url).where(DJSetRow.url.in_(chunk))))
    return found


def _set_ids(session: Session, urls: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in chunks(urls):
        stmt = select(DJSetRow.url, DJSetRow.id).where(DJSetRow.url.in_(chunk))
        ids.update({url: id_ for url, id_ in session.execute(stmt)})
    return ids


def _record_own(
    session: Session, rows: list[tuple[DJSet, str | None, bool]], now: datetime
) -> None:
    """Each stored set's own URL among its sources, and its content key where the set was
    not written in this call (``written`` False): two statements for the whole batch,
    each finding the set by its URL."""
    if not rows:
        return
    sets = DJSetRow.__table__
    if unwritten := [{"set_url": item.url, "key": key} for item, key, written in rows
                     if not written]:  # fmt: skip
        stmt = (
            update(sets)
            .where(sets.c.url == bindparam("set_url"))
            .values(content_key=bindparam("key"))
            .execution_options(synchronize_session=False)
        )
        session.execute(stmt, unwritten)
    found = select(sets.c.id, sets.c.url, bindparam("source"), bindparam("first_seen")).where(
        sets.c.url == bindparam("set_url")
    )
    insert = dialect_insert(session, SetSource.__table__).from_select(
        ["set_id", "url", "source", "first_seen"], found
    )
    upsert = insert.on_conflict_do_update(
        index_elements=["url"], set_={"set_id": insert.excluded.set_id}
    )
    values = [{"set_url": item.url, "source": item.source, "first_seen": now}
              for item, _, _ in rows]  # fmt: skip
    session.execute(upsert, values)


def _record_links(session: Session, links: list[tuple[DJSet, int]], now: datetime) -> None:
    if not links:
        return
    values = [
        {"set_id": id_, "url": item.url, "source": item.source, "first_seen": now}
        for item, id_ in links
    ]
    stmt = dialect_insert(session, SetSource.__table__).on_conflict_do_nothing(
        index_elements=["url"]
    )
    session.execute(stmt, values)


def apply_aliases(session: Session, items: Sequence[DJSet]) -> list[DJSet]:
    """The items with merged spellings of artists replaced by the kept artist's name."""
    aliases = dict(session.execute(select(ArtistAlias.key, ArtistAlias.name)).all())
    if not aliases:
        return list(items)

    def kept(name: str | None) -> str | None:
        return aliases.get(artist_key(name), name) if name else name

    out = []
    for item in items:
        djs = [kept(n) or n for n in item.djs]
        tracks = [
            replace(t, artist=kept(t.artist)) if t.artist and artist_key(t.artist) in aliases else t
            for t in item.tracks
        ]
        out.append(replace(item, djs=djs, tracks=tracks))
    return out


def set_sources(session: Session, set_id: int) -> list[str]:
    """Every URL where a stored set was seen, its own first."""
    stmt = select(SetSource.url).where(SetSource.set_id == set_id).order_by(SetSource.id)
    return list(session.scalars(stmt))


def near_duplicate_sets(
    session: Session, threshold: float = DEFAULT_SET_SIMILARITY
) -> list[tuple[int, int, float]]:
    """Pairs of stored sets that look like one set: (id, id, similarity), best first.

    Same DJs (identity keys, any order; two sets without DJs count as agreeing), the
    same date when both have one, and track sequences at least ``threshold`` % similar.
    """
    djs: dict[int, frozenset[int]] = defaultdict(frozenset)
    for set_id, artist_id in session.execute(select(SetDJ.set_id, SetDJ.artist_id)):
        djs[set_id] = djs[set_id] | {artist_id}
    tracks: dict[int, list[Any]] = defaultdict(list)
    stmt = select(SetEntry.set_id, SetEntry.track_id).order_by(SetEntry.set_id, SetEntry.ordinal)
    for set_id, track_id in session.execute(stmt):
        tracks[set_id].append(track_id if track_id is not None else f"?{set_id}")
    rows = session.execute(select(DJSetRow.id, DJSetRow.date).order_by(DJSetRow.id)).all()
    groups: dict[frozenset[int], list[tuple[int, str | None]]] = defaultdict(list)
    for id_, date in rows:
        groups[djs[id_]].append((id_, date))
    pairs = []
    for members in groups.values():
        for n, (a, date_a) in enumerate(members):
            for b, date_b in members[n + 1 :]:
                if date_a and date_b and date_a != date_b:
                    continue
                if not tracks[a] or not tracks[b]:
                    continue
                score = Levenshtein.normalized_similarity(tracks[a], tracks[b]) * 100
                if score >= threshold:
                    pairs.append((a, b, round(score, 1)))
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


def merge_sets(session: Session, keep: int, drop: int, now: datetime) -> str:
    """Make set ``drop`` a source of set ``keep``: its URLs move, its row goes."""
    if keep == drop:
        raise LookupError("KEEP_ID and DROP_ID are the same set")
    kept, dropped = session.get(DJSetRow, keep), session.get(DJSetRow, drop)
    for id_, row in ((keep, kept), (drop, dropped)):
        if row is None:
            raise LookupError(f"no set with id {id_}")
    assert dropped is not None
    moved = rowcount(
        session.execute(
            update(SetSource).where(SetSource.set_id == drop).values(set_id=keep, merged=True)
        )
    )
    stmt = dialect_insert(session, SetSource.__table__).on_conflict_do_update(
        index_elements=["url"], set_={"set_id": keep, "merged": True}
    )
    session.execute(
        stmt,
        [{"set_id": keep, "url": dropped.url, "source": dropped.source.key, "first_seen": now,
          "merged": True}],
    )  # fmt: skip
    url = dropped.url
    session.execute(delete(DJSetRow).where(DJSetRow.id == drop))
    return f"merged set {drop} ({url}) into {keep}: {moved or 0} sources moved"
