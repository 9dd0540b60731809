"""What the store knows about pages, for one crawl: read once per origin, written in batches.

The conditional-request middleware and the page recorder share one :class:`PageBook` per
crawl. Reads are one query per origin (a dict lookup per request after that), or one query
per request for origins with more than ``INCREMENTAL_CACHE_MAX`` pages. Page records are
written at once (the records that come in one moment in one small transaction), or in
batches with ``INCREMENTAL_FLUSH_SECONDS``: a record lost to a crash only costs a full
fetch next time, never a set, because a page is recorded only after its sets were stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from crawler.incremental.config import IncrementalConfig
from crawler.origins import origin_prefix
from crawler.store import record_page, session_factory, utcnow
from crawler.store.pages import (
    known_page,
    known_pages,
    page_links,
    record_many_page_links,
    record_pages,
)
from crawler.store.preload import ReadAllOnce
from crawler.store.sets import mark_sets_gone

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Known", "PageBook", "PageRecord", "utcnow"]

logger = logging.getLogger(__name__)
_BATCH = 100


class Known(NamedTuple):
    status: int
    fetched_at: datetime
    etag: str | None
    last_modified: str | None


@dataclass
class PageRecord:
    url: str
    status: int
    fetched_at: datetime
    content_hash: str | None
    etag: str | None
    last_modified: str | None
    links: list[Any] = field(default_factory=list)
    ai_use: dict[str, Any] | None = None
    """The AI-use preferences that applied to the page (crawler/politeness/aiuse.py)."""


_LOAD_ALL_MAX = 20_000
"""Stored pages read at once on first use; a store with more is read origin by origin
(a recrawl of a few hosts from a large store holds only theirs)."""


class PageBook:
    def __init__(self, config: IncrementalConfig) -> None:
        self.config = config
        self._factory: sessionmaker[Session] | None = None
        self._origins: dict[str, dict[str, Known] | None] = {}
        """origin prefix -> its pages; None when it has too many to hold (query per URL)."""
        self._stored: ReadAllOnce[dict[str, Known] | None] = ReadAllOnce(
            self._load_all, self._load, min(_LOAD_ALL_MAX, config.cache_max), missing=dict
        )
        self._pending: list[PageRecord] = []
        self._last_flush = time.monotonic()
        self._flush_soon = False
        self._failing = False
        """The store failed last time: further failures are logged at DEBUG."""

    @property
    def factory(self) -> sessionmaker[Session]:
        if self._factory is None:
            self._factory = session_factory(self.config.database_url)
        return self._factory

    # -- reads ---------------------------------------------------------------------------
    def known(self, url: str) -> Known | None:
        """What the store knows of ``url``; None when nothing, or when the store is away
        (the page is then simply fetched in full)."""
        try:
            return self._known(url)
        except Exception as error:
            self._store_failed("read what is known of a page", error)
            return None

    def _known(self, url: str) -> Known | None:
        prefix = origin_prefix(url)
        if prefix not in self._origins:
            self._origins[prefix] = self._stored.take(prefix)
        pages = self._origins[prefix]
        if pages is not None:
            return pages.get(url)
        with self.factory() as session:
            row = known_page(session, url)
        return Known(row.status, row.fetched_at, row.etag, row.last_modified) if row else None

    def _store_failed(self, what: str, error: Exception) -> None:
        from crawler.store.db import describe_store_error

        # Once per outage at ERROR (the store pipeline says the rest); then at DEBUG.
        log = logger.debug if self._failing else logger.error
        self._failing = True
        log("Could not %s: %s", what, describe_store_error(self.config.database_url, error))
        logger.debug("The error in full:", exc_info=error)

    def _load_all(self, limit: int) -> dict[str, dict[str, Known] | None] | None:
        with self.factory() as session:
            rows = known_pages(session, "", limit)
        if len(rows) > limit:
            return None
        origins: dict[str, dict[str, Known] | None] = {}
        for r in rows:
            pages = origins.setdefault(origin_prefix(r.url), {})
            assert pages is not None
            pages[r.url] = Known(r.status, r.fetched_at, r.etag, r.last_modified)
        return origins

    def _load(self, prefix: str) -> dict[str, Known] | None:
        limit = self.config.cache_max
        with self.factory() as session:
            rows = known_pages(session, prefix, limit)
        if len(rows) > limit:
            logger.info("%s has over %d stored pages: looking them up one by one", prefix, limit)
            return None
        return {r.url: Known(r.status, r.fetched_at, r.etag, r.last_modified) for r in rows}

    def links(self, url: str) -> list[Any]:
        try:
            with self.factory() as session:
                return page_links(session, url)
        except Exception as error:
            self._store_failed("read the links of a page", error)
            return []

    # -- writes --------------------------------------------------------------------------
    def record(self, record: PageRecord) -> None:
        """Write a parsed page's record: at once, or (``flush_seconds`` > 0) in batches
        written when the oldest waited that long or 100 are waiting."""
        self._remember(record.url, record)
        self._pending.append(record)
        if len(self._pending) >= _BATCH or (
            self.config.flush_seconds
            and time.monotonic() - self._last_flush >= self.config.flush_seconds
        ):
            self.flush()
        elif not self.config.flush_seconds and not self._flush_soon:
            # "At once", but records that come together share one transaction: pages
            # whose sets were stored in one batch are recorded in the same moment.
            try:
                asyncio.get_running_loop().call_soon(self._flush_now)
                self._flush_soon = True
            except RuntimeError:  # no event loop (a tool, a test): write it now
                self.flush()

    def _flush_now(self) -> None:
        self._flush_soon = False
        self.flush()

    def gone(self, url: str, status: int) -> int:
        """A page answered 404/410: record it and mark its sets gone, at once."""
        now = utcnow()
        record = PageRecord(url, status, now, None, None, None)
        self._remember(url, record)
        try:
            with self.factory.begin() as session:
                record_page(session, url, status, now)
                return mark_sets_gone(session, url, now)
        except Exception as error:  # the next crawl sees the 404 again
            self._store_failed(f"mark the sets of a gone page ({status})", error)
            return 0

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        records, self._pending = self._pending, []
        try:
            latest = {r.url: r for r in records}  # one row per page and statement
            with self.factory.begin() as session:
                record_pages(session, [
                    {"url": r.url, "status": r.status, "fetched_at": r.fetched_at,
                     "content_hash": r.content_hash, "etag": r.etag,
                     "last_modified": r.last_modified, "ai_use": r.ai_use}
                    for r in latest.values()
                ])  # fmt: skip
                record_many_page_links(session, [(r.url, r.links) for r in latest.values()])
            self._failing = False
        except Exception as error:
            # Losing records costs full fetches next time, never data: log and go on.
            self._store_failed(f"record {len(records)} fetched pages", error)

    def _remember(self, url: str, record: PageRecord) -> None:
        prefix = origin_prefix(url)
        if prefix not in self._origins and self._stored.read_all:
            self._origins[prefix] = self._stored.take(prefix)  # not asked about yet
        pages = self._origins.get(prefix)
        if pages is not None:
            pages[url] = Known(record.status, record.fetched_at, record.etag, record.last_modified)
