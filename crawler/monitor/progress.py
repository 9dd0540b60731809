"""Progress while a crawl runs: a live line on a terminal, a log line every N seconds otherwise.

Like imports (crawler/spiders/exports.py), a terminal gets a tqdm status line, redrawn in
place; a crawl writing to a file or a pipe (cron, systemd, the schedule runner) gets a plain
log line every ``PROGRESS_LOG_SECONDS``. Both show pages fetched and queued, sets, hosts
active (a request on the wire) and waiting for their turn on the host's clock (after a
Retry-After pause too), Retry-After pauses so far, and errors.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["CrawlProgress", "progress_text"]

logger = logging.getLogger(__name__)

_BAR_SECONDS = 0.5


def _n(stats: dict[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def progress_text(stats: dict[str, Any], busy: int) -> str:
    """``busy``: hosts with a request in the downloader, on the wire or (rarely) waiting
    for its turn in the download handler (``crawl/hosts_waiting``); hosts waiting for
    their turn in the frontier are counted there (``crawl/hosts_waiting_in_frontier``)."""
    fetched = _n(stats, "crawl/pages/fetched") + _n(stats, "incremental/not_modified")
    queued = _n(stats, "scheduler/enqueued") - _n(stats, "scheduler/dequeued")
    errors = _n(stats, "crawl/pages/failed") + _n(stats, "spider_exceptions/count")
    in_handler = min(max(_n(stats, "crawl/hosts_waiting"), 0), busy)
    waiting = in_handler + max(_n(stats, "crawl/hosts_waiting_in_frontier"), 0)
    return (
        f"{fetched} pages fetched, {max(queued, 0)} queued, "
        f"{_n(stats, 'item_scraped_count')} sets, "
        f"hosts {busy - in_handler} active / {waiting} waiting for their turn, "
        f"{_n(stats, 'politeness/paused/retry_after')} Retry-After pauses, {errors} errors"
    )


class CrawlProgress:
    """Extension; off with ``PROGRESS_LOG_SECONDS = 0`` and ``PROGRESS_BAR = False``."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.bar_wanted = settings.getbool("PROGRESS_BAR") and sys.stderr.isatty()
        self.log_seconds = settings.getfloat("PROGRESS_LOG_SECONDS")
        if not self.bar_wanted and self.log_seconds <= 0:
            raise NotConfigured("no progress bar and PROGRESS_LOG_SECONDS = 0")
        self.crawler = crawler
        self.bar: Any = None
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        if self.bar_wanted:
            from tqdm import tqdm

            self.bar = tqdm(file=sys.stderr, dynamic_ncols=True, bar_format="{elapsed} {desc}")
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(_BAR_SECONDS if self.bar is not None else self.log_seconds, now=False)

    def _busy_hosts(self) -> int:
        engine = self.crawler.engine
        if engine is None:
            return 0
        downloader = engine.downloader
        return len({downloader.get_slot_key(r) for r in downloader.active})

    def tick(self) -> None:
        assert self.crawler.stats is not None
        text = progress_text(self.crawler.stats.get_stats(), self._busy_hosts())
        if self.bar is not None:
            self.bar.set_description_str(text)
        else:
            logger.info("Progress: %s", text)

    def spider_closed(self, spider: Any) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.bar is not None:
            self.bar.close()
            self.bar = None
