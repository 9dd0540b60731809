"""Feeds written in full, or the crawl fails: a feed is part of what a crawl delivers.

Scrapy writes a feed (``-o``/``-O``, ``FEEDS``) as items come, and closes it when the
spider closes, at the moment the crawl's outcome is judged. A feed that cannot be written
(a full disk, an upload refused) was only logged, once per item, after the verdict.
:class:`CheckedFeedExporter` is Scrapy's feed exporter with its write errors counted as a
failed feed (``feedexport/failed_count/<storage>``, as Scrapy counts a failed upload) and
named in one error line; :class:`FeedWatch` lets the verdict wait until every feed is
closed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.extensions.feedexport import FeedExporter

from crawler.logsafe import mask_url

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.extensions.feedexport import FeedSlot

__all__ = ["CheckedFeedExporter", "FeedWatch"]

logger = logging.getLogger(__name__)

FAILED = "feedexport/failed_count/"
_WAIT_MAX = 600.0
"""An upload may take long; a feed exporter that never says it closed must not hang."""


def _reason(error: BaseException) -> str:
    return (getattr(error, "strerror", None) or str(error) or type(error).__name__).strip()


class CheckedFeedExporter(FeedExporter):
    """Scrapy's ``FeedExporter`` (the Tracklists add-on puts it in its place): an item that cannot
    be written, or a feed that cannot be finished, fails the feed, said once, not once per
    item, and the crawl goes on (the store still has every set)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._broken: dict[int, str] = {}
        """id(slot) -> why its feed is not complete."""

    def item_scraped(self, item: Any, spider: Spider) -> None:
        try:
            super().item_scraped(item, spider)
        except Exception as error:
            for slot in self.slots:
                if slot.filter.accepts(item) and id(slot) not in self._broken:
                    self._broken[id(slot)] = _reason(error)
                    logger.error("Could not write to the feed %s: %s (the crawl goes on, and"
                                 " fails)", mask_url(slot.uri), _reason(error))  # fmt: skip

    async def _close_slot(self, slot: FeedSlot, spider: Spider) -> None:
        failed_before = self._failed_count()
        try:
            await super()._close_slot(slot, spider)
        except Exception as error:
            self._broken.setdefault(id(slot), _reason(error))
        if self._failed_count() > failed_before:  # Scrapy's "Error storing" said why
            self._broken.setdefault(id(slot), "it could not be stored")
        elif id(slot) in self._broken:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(f"{FAILED}{type(slot.storage).__name__}")
        if id(slot) in self._broken:
            logger.error("The feed %s could not be written (%d items were meant for it): %s",
                         mask_url(slot.uri), slot.itemcount, self._broken[id(slot)])  # fmt: skip

    def _failed_count(self) -> int:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        return sum(int(v) for k, v in stats.items() if k.startswith(FAILED))


class FeedWatch:
    """Resolves once the feed exporter has closed every feed (at once when there is none)."""

    def __init__(self, crawler: Crawler) -> None:
        self.expected = bool(crawler.settings.getdict("FEEDS"))
        self._closed = asyncio.Event()
        crawler.signals.connect(self._set, signal=signals.feed_exporter_closed)

    def _set(self) -> None:
        self._closed.set()

    async def wait(self) -> None:
        if self.expected:
            try:
                await asyncio.wait_for(self._closed.wait(), _WAIT_MAX)
            except TimeoutError:
                logger.error("The feeds were not closed within %.0f s", _WAIT_MAX)
