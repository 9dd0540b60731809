"""Atom 1.0 feeds (RFC 4287) to follow the archive: a DJ's sets, the sets where a track was
played, the sets matching a search. Each entry is a set; its id is the set's page, its
``updated`` the time the store last changed the set, so a reader shows a set again when
its tracklist grows. Written with ElementTree: the format is small and fixed, and no
feed library is needed to write it (feedparser reads it in the tests)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler import __version__
from crawler.serve import queries
from crawler.serve.api import Db, Id, reads_store
from crawler.store.models import DJSetRow

__all__ = ["ATOM", "FEED_SIZE", "router"]

ATOM = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50
"""Entries a feed holds: the newest sets."""
_NS = "http://www.w3.org/2005/Atom"

router = APIRouter(prefix="/feeds", include_in_schema=False)


def _times(db: Session, ids: Sequence[int]) -> dict[int, datetime]:
    if not ids:
        return {}
    stmt = select(DJSetRow.id, DJSetRow.updated_at).where(DJSetRow.id.in_(list(ids)))
    return {i: t.replace(tzinfo=UTC) if t.tzinfo is None else t for i, t in db.execute(stmt)}


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{_NS}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def _summary(s: dict[str, Any]) -> str:
    djs = ", ".join(d["name"] for d in s.get("djs") or []) or "Unknown DJ"
    where = ", ".join(x for x in (s.get("event"), s.get("venue")) if x)
    return " · ".join(x for x in (djs, where, s.get("date"), f"from {s['source']}") if x)


def atom(
    request: Request, db: Session, title: str, page: str, sets: list[dict[str, Any]]
) -> Response:
    """The feed of ``sets`` (newest first), titled ``title``, about the page at ``page``."""
    base = str(request.base_url).rstrip("/")
    times = _times(db, [s["id"] for s in sets])
    ET.register_namespace("", _NS)
    feed = ET.Element(f"{{{_NS}}}feed")
    _sub(feed, "id", str(request.url))
    _sub(feed, "title", title)
    _sub(feed, "updated", max(times.values(), default=datetime(2000, 1, 1, tzinfo=UTC)).isoformat())
    _sub(feed, "link", rel="self", type="application/atom+xml", href=str(request.url))
    _sub(feed, "link", rel="alternate", type="text/html", href=base + page)
    _sub(_sub(feed, "author"), "name", "Tracklist archive")
    _sub(feed, "generator", "polite tracklist crawler", version=__version__)
    for s in sets:
        entry = _sub(feed, "entry")
        link = f"{base}/sets/{s['id']}"
        _sub(entry, "id", link)
        _sub(entry, "title", s.get("title") or "Untitled set")
        _sub(entry, "updated", times[s["id"]].isoformat())
        _sub(entry, "link", rel="alternate", type="text/html", href=link)
        for dj in s.get("djs") or []:
            _sub(_sub(entry, "author"), "name", dj["name"])
        _sub(entry, "summary", _summary(s))
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type=ATOM)


@router.get("/djs/{dj_id}.atom", summary="A DJ's newest sets")
@reads_store
def dj_feed(request: Request, db: Db, dj_id: Id) -> Response:
    found = queries.dj_detail(db, dj_id, queries.Page(1, FEED_SIZE))
    if found is None:
        raise HTTPException(404, f"no DJ with id {dj_id}")
    return atom(request, db, f"Sets by {found['name']}", f"/djs/{dj_id}", found["sets"])


@router.get("/tracks/{track_id}.atom", summary="The newest sets where a track was played")
@reads_store
def track_feed(request: Request, db: Db, track_id: Id) -> Response:
    found = queries.track_detail(db, track_id, queries.Page(1, FEED_SIZE))
    if found is None:
        raise HTTPException(404, f"no track with id {track_id}")
    seen: dict[int, dict[str, Any]] = {}
    for row in found["played_in"]:  # a set playing the track twice is one entry
        seen.setdefault(row["id"], row)
    title = f"Sets playing {found['name']}"
    return atom(request, db, title, f"/tracks/{track_id}", list(seen.values()))


@router.get("/search.atom", summary="The newest sets matching a search")
@reads_store
def search_feed(
    request: Request, db: Db, q: Annotated[str, Query(min_length=1, max_length=200)]
) -> Response:
    found, _ = queries.list_sets(db, queries.Page(1, FEED_SIZE), q=q, with_total=False)
    found.sort(key=lambda s: (s.get("date") or "", s["id"]), reverse=True)
    return atom(request, db, f"Sets matching “{q}”", f"/search?{urlencode({'q': q})}", found)
