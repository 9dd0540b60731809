"""The crawl keeps its schedule lock alive: a heartbeat every ``CRAWL_LOCK_HEARTBEAT`` s.

The runner takes the lock and passes its token as ``CRAWL_LOCK_OWNER``; from then on the
crawl process itself refreshes it, so the lock outlives a runner that died while the crawl
goes on, and never outlives the crawl by more than the stale-lock rule allows. A crawl
whose lock was taken over stops (gracefully: its JOBDIR lets the next run resume).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.incremental.book import utcnow
from crawler.schedule.lock import CrawlLockHandle
from crawler.store import session_factory

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["LockHeartbeat"]

logger = logging.getLogger(__name__)


class LockHeartbeat:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        owner, name = settings.get("CRAWL_LOCK_OWNER"), settings.get("CRAWL_NAME")
        if not owner:
            raise NotConfigured  # not started by the schedule: nothing to keep alive (silently)
        if not name:
            raise NotConfigured("CRAWL_LOCK_OWNER without CRAWL_NAME")
        self.crawler = crawler
        self.interval = max(0.1, settings.getfloat("CRAWL_LOCK_HEARTBEAT"))
        self.handle = CrawlLockHandle(session_factory(settings.get("DATABASE_URL")), name, owner)
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LockHeartbeat:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.beat(pid=os.getpid())
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(self.interval, now=False)

    def beat(self, pid: int | None = None) -> None:
        try:
            held = self.handle.refresh(utcnow(), pid=pid)
        except Exception:  # the store is briefly unreachable: the next beat tries again
            logger.exception("Could not refresh the lock of %s", self.handle.name)
            return
        if not held and self.crawler.engine is not None:
            logger.error("The lock of %s was taken over: stopping this run", self.handle.name)
            if self.loop is not None and self.loop.running:
                self.loop.stop()
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="lock_lost"))

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
