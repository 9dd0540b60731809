"""A worker whose reactor is nearly always busy (hand-made load for a test, not a real
site's): every 50 ms it blocks the reactor for 450 ms, as a parser or pipeline slower than
the pace of the crawl would. Ticks of the worker's housekeeping are skipped, not delayed."""

from __future__ import annotations

import time

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task


class BusyReactor:
    def __init__(self) -> None:
        self._loop = task.LoopingCall(time.sleep, 0.45)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BusyReactor:
        ext = cls()
        crawler.signals.connect(ext._opened, signals.spider_opened)
        crawler.signals.connect(ext._closed, signals.spider_closed)
        return ext

    def _opened(self) -> None:
        self._loop.start(0.05, now=False)

    def _closed(self) -> None:
        if self._loop.running:
            self._loop.stop()
