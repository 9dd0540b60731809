"""Persists every set to ``DATABASE_URL``, idempotently.

Writes are grouped in transactions of ``STORE_BATCH_SIZE`` sets: 1 (the default) for
crawls, so that a killed crawl never loses a set it has fetched; larger for imports of
local files, which can simply be re-run.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy.orm import Session, sessionmaker

from crawler.items import DJSet
from crawler.store import session_factory
from crawler.store.identity import store_sets_once
from crawler.store.repository import KeyCache

logger = logging.getLogger(__name__)

_KEY_CACHE_MAX = 200_000


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.url: str = settings.get("DATABASE_URL")
        self.batch_size = max(1, settings.getint("STORE_BATCH_SIZE", 1))
        self.stats = crawler.stats
        self.factory: sessionmaker[Session] | None = None
        self.pending: list[DJSet] = []
        # identity key -> id, so that a track seen in many sets is looked up once;
        # bounded so that memory does not grow with the size of the import.
        self.ids = KeyCache()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.factory = session_factory(self.url)
        logger.info("Storing sets in %s", _redacted(self.url))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, DJSet):
            self.pending.append(item)
            if len(self.pending) >= self.batch_size:
                self.flush()
        return item

    def close_spider(self) -> None:
        self.flush()

    def flush(self) -> None:
        if not self.pending or self.factory is None:
            return
        items, self.pending = self.pending, []
        if len(self.ids) > _KEY_CACHE_MAX:
            self.ids.clear()
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            with self.factory.begin() as session:
                # One row per real set: a set already stored under another URL is linked.
                outcomes = store_sets_once(session, items, now, self.ids)
        except Exception:
            self.ids.clear()
            if len(items) == 1:
                logger.exception("Could not store the set from %s", items[0].url)
                self.stats.inc_value("store/errors")
                return
            # One bad set must not cost the others their place: store them one by one.
            for item in items:
                self.pending = [item]
                self.flush()
            return
        for outcome in outcomes:
            self.stats.inc_value(f"store/{outcome}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
