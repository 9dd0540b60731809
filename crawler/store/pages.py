"""Pages in the store: what each fetch answered, with the validators a conditional request
sends, and the requests each parsed page led to (incremental crawls, crawler/incremental/).
Functions take a session and never commit; writes are upserts keyed by URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.store.db import dialect_insert
from crawler.store.models import Page, PageLinks

__all__ = [
    "known_page",
    "known_pages",
    "page_links",
    "record_many_page_links",
    "record_page",
    "record_pages",
]


def record_page(
    session: Session,
    url: str,
    status: int,
    fetched_at: datetime,
    content_hash: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> None:
    """Remember a fetch (upsert by URL). A 304 keeps the stored hash and validators."""
    record_pages(session, [{
        "url": url, "status": status, "fetched_at": fetched_at,
        "content_hash": content_hash, "etag": etag, "last_modified": last_modified,
    }])  # fmt: skip


def record_pages(session: Session, pages: list[dict[str, Any]]) -> None:
    """:func:`record_page` for many pages in two statements (one for 304s, which keep
    their stored hash and validators): the page book writes a batch at a time, and one
    statement per page cost a tenth of a wide crawl's CPU."""
    if not pages:
        return
    stmt = dialect_insert(session, Page.__table__)
    kept = {"status", "fetched_at"}
    for not_modified in (False, True):
        rows = [p for p in pages if (p["status"] == 304) is not_modified]
        if not rows:
            continue
        columns = (
            kept if not_modified else kept | {"content_hash", "etag", "last_modified", "ai_use"}
        )
        update = {c: getattr(stmt.excluded, c) for c in sorted(columns)}
        full = [
            {"content_hash": None, "etag": None, "last_modified": None, "ai_use": None, **r}
            for r in rows
        ]
        session.execute(stmt.on_conflict_do_update(index_elements=["url"], set_=update), full)


def known_pages(session: Session, prefix: str, limit: int) -> list[Any]:
    """Pages stored under ``prefix`` (an origin and ``/``), with what a conditional request
    needs; at most ``limit`` + 1 rows, so that the caller can tell when there are more."""
    stmt = (
        select(Page.url, Page.status, Page.fetched_at, Page.etag, Page.last_modified)
        .where(Page.url.startswith(prefix, autoescape=True))
        .limit(limit + 1)
    )
    return list(session.execute(stmt))


def known_page(session: Session, url: str) -> Any | None:
    stmt = select(Page.url, Page.status, Page.fetched_at, Page.etag, Page.last_modified)
    return session.execute(stmt.where(Page.url == url)).first()


def page_links(session: Session, url: str) -> list[Any]:
    """The requests ``url`` led to when last parsed (empty when unknown)."""
    links = session.scalar(select(PageLinks.links).where(PageLinks.url == url))
    return list(links or [])


def record_many_page_links(session: Session, pages: list[tuple[str, list[Any]]]) -> None:
    """Remember (upsert) the requests each parsed page led to, in one statement."""
    if not pages:
        return
    stmt = dialect_insert(session, PageLinks.__table__)
    upsert = stmt.on_conflict_do_update(index_elements=["url"], set_={"links": stmt.excluded.links})
    session.execute(upsert, [{"url": url, "links": links} for url, links in pages])
