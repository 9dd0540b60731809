"""Persists every set to ``DATABASE_URL``, idempotently, and never loses one.

Writes are grouped in transactions of ``STORE_BATCH_SIZE`` sets (200), or of what came
within ``STORE_FLUSH_SECONDS`` (0.5 s), whichever is first: one transaction per set cost a
sixth of a wide crawl's CPU. An item leaves the pipeline only once its transaction is
committed (or its set is spooled), so the page recorder, which waits for every item of a
page, never records a page whose sets are still only in memory.

A set the store refuses goes to the spool (``crawler.store.spool``), durably, before the
crawl moves on. When the database itself is away (connection refused or lost, locked),
every set goes to the spool until a retry, with back-off up to ``STORE_RETRY_MAX_DELAY``,
finds it back and stores the spool in order. Whatever is still spooled when the crawl
ends is counted in ``store/unstored`` (which makes the crawl's outcome a failure), named
in one error line with the spool's path, and stored by the next run of the same store.
A set that can be neither stored nor spooled (the disk of both is full) is counted in
``store/lost``, which fails the crawl; its page is left unrecorded, so the next crawl
fetches it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy.orm import Session, sessionmaker

from crawler.items import DJSet
from crawler.logsafe import mask_url, printable
from crawler.signals import set_unstored
from crawler.store import session_factory
from crawler.store.sets import KeyCache
from crawler.store.spool import Spool
from crawler.store.writer import StoreAway, store_batch

logger = logging.getLogger(__name__)

_KEY_CACHE_MAX = 200_000
_RETRY_FIRST = 1.0


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.url: str = settings.get("DATABASE_URL")
        self.batch_size = max(1, settings.getint("STORE_BATCH_SIZE"))
        self.flush_seconds = settings.getfloat("STORE_FLUSH_SECONDS")
        self.retry_max = settings.getfloat("STORE_RETRY_MAX_DELAY")
        self.spool = Spool(settings.get("SPOOL_DIR"), self.url)
        self.stats = crawler.stats
        self.factory: sessionmaker[Session] | None = None
        self.pending: list[DJSet] = []
        # identity key -> id, so that a track seen in many sets is looked up once;
        # bounded so that memory does not grow with the size of the import.
        self.ids = KeyCache()
        self.away = False
        """The database is away: sets go straight to the spool until a retry succeeds."""
        self.retry_delay = _RETRY_FIRST
        self._retry_call: asyncio.TimerHandle | None = None
        self._batch_done: asyncio.Future[None] | None = None
        """Resolved when the pending batch is committed; its items wait for it."""
        self._flush_call: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.factory = session_factory(self.url)
        logger.info("Storing sets in %s", mask_url(self.url))
        try:
            replayed = self.spool.replay(self._store_batch)
        except StoreAway as away:
            self._went_away(away)
            return
        if replayed:
            self.stats.inc_value("store/replayed", replayed)
            logger.info("Stored %d sets kept in the spool by an earlier run", replayed)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, DJSet):
            return item
        if self.away:
            self._spool([item])
            return item
        self.pending.append(item)
        if len(self.pending) >= self.batch_size:
            self.flush()
        else:
            await self._wait_for_batch()
        return item

    def _wait_for_batch(self) -> asyncio.Future[None]:
        if self._batch_done is None:
            loop = asyncio.get_running_loop()
            self._batch_done = loop.create_future()
            self._flush_call = loop.call_later(self.flush_seconds, self.flush)
        return self._batch_done

    def close_spider(self) -> None:
        self.flush()
        if self._retry_call is not None:
            self._retry_call.cancel()
        self._retry_call = None
        if self.spool.count:
            self._store_spooled()  # one last try
        unstored = self.spool.count
        self.spool.close()
        if unstored:
            self.stats.set_value("store/unstored", unstored)
            logger.error(
                "%d sets could not be stored; they are kept in %s and are stored by the next"
                " crawl or import of this store, or now by: python -m crawler store replay"
                " --database '%s'",
                unstored,
                self.spool.path,
                mask_url(self.url),
            )

    def flush(self) -> None:
        done, self._batch_done = self._batch_done, None
        if self._flush_call is not None:
            self._flush_call.cancel()
            self._flush_call = None
        try:
            self._flush()
        finally:
            if done is not None and not done.done():
                done.set_result(None)

    def _flush(self) -> None:
        if not self.pending or self.factory is None:
            return
        items, self.pending = self.pending, []
        if len(self.ids) > _KEY_CACHE_MAX:
            self.ids.clear()
        try:
            failed = self._store_batch(items)
        except StoreAway as away:
            self._went_away(away)
            failed = items
        if failed:
            self._spool(failed)

    # -- storing -------------------------------------------------------------------------
    def _store_batch(self, items: list[DJSet]) -> list[DJSet]:
        """Store ``items``; returns those the store refused (already logged). Raises
        :class:`StoreAway` when the database is away, with nothing stored."""
        assert self.factory is not None
        outcomes, refused = store_batch(self.factory, items, self.ids, self._refused)
        for outcome, count in Counter(outcomes).items():
            self.stats.inc_value(f"store/{outcome}", count)
        return refused

    def _refused(self, item: DJSet, error: Exception) -> None:
        logger.error(
            "Could not store the set from %s: %s",
            printable(item.url),
            printable(str(error).splitlines()[0] if str(error) else repr(error)),
        )
        logger.debug("The error in full:", exc_info=error)
        self.stats.inc_value("store/errors")

    def _spool(self, items: list[DJSet]) -> None:
        try:
            self.spool.add(items)
        except OSError as error:  # the spool's disk is full too (often the store's own)
            self._lost(items, error)
        else:
            self.stats.inc_value("store/spooled", len(items))
        for item in items:
            # its page stays unrecorded: the next crawl fetches it in full, stored or lost
            self.crawler.signals.send_catch_log(set_unstored, item=item)

    def _lost(self, items: list[DJSet], error: OSError) -> None:
        """Sets neither the store nor the spool could take: counted in ``store/lost`` (the
        crawl fails), logged once per crawl, and fetched again by the next crawl."""
        if not self.stats.get_value("store/lost"):
            logger.error(
                "Sets could neither be stored in %s nor kept in the spool (%s: %s): their"
                " pages are left unrecorded, and the next crawl fetches and stores them",
                mask_url(self.url),
                self.spool.folder,
                printable(error.strerror or str(error)),
            )
        self.stats.inc_value("store/lost", len(items))

    # -- while the database is away ------------------------------------------------------
    def _went_away(self, away: StoreAway) -> None:
        if not self.away:
            logger.error(
                "The store %s is not answering (%s): sets are kept in the spool (%s) and"
                " stored when it answers again",
                mask_url(self.url),
                printable(away),
                self.spool.folder,
            )
            self.stats.inc_value("store/outages")
        self.away = True
        self._schedule_retry()

    def _schedule_retry(self) -> None:
        if self._retry_call is None:
            loop = asyncio.get_running_loop()
            self._retry_call = loop.call_later(self.retry_delay, self._retry)
            self.retry_delay = min(self.retry_delay * 2, self.retry_max)

    def _retry(self) -> None:
        self._retry_call = None
        if self._store_spooled():
            self.away = False
            self.retry_delay = _RETRY_FIRST
            logger.info("The store answers again: the spooled sets are stored")
        else:
            self._schedule_retry()

    def _store_spooled(self) -> bool:
        """Store this process's spool, in order; ``False`` when the database is still away
        (the spool is then left as it was)."""
        items = self.spool.take_own()
        failed: list[DJSet] = []
        try:
            for start in range(0, len(items), self.batch_size):
                failed.extend(self._store_batch(items[start : start + self.batch_size]))
        except StoreAway:
            self.spool.keep_own(failed + items[start:])
            return False
        self.spool.keep_own(failed)
        self.stats.inc_value("store/replayed", len(items) - len(failed))
        return True
