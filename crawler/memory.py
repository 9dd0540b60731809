"""The crawl process's cyclic garbage collector, paced for a crawl.

Python collects its youngest generation every 700 net allocations and promotes what
survives. A crawl keeps thousands of objects alive for seconds (requests waiting for their
host's turn, their coroutines, deferreds and timers), so they survive young collections,
pile up in the oldest generation and trigger full collections of everything: measured at
1,000 loopback hosts in one process, 40 % of the crawl's CPU went to the collector, 46
full collections of a quarter second each. Collecting the youngest generation every
:data:`GC_THRESHOLD` allocations instead lets most of those objects die before they are
looked at; reference counting still frees everything that is not in a cycle at once, so
memory grows only by the cyclic garbage of one longer interval (about 30 MB there).

The thresholds are set when the engine starts and put back when it stops, so a process
that runs other work around a crawl (a test run, ``crawler serve``'s job runner) keeps
its own. The crawl's stats say how many collections of each generation it took
(``gc/collections/0`` ... ``/2``), with or without this.
"""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

from scrapy import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["CollectorPace"]

logger = logging.getLogger(__name__)


class CollectorPace:
    """Sets the youngest generation's threshold to ``GC_THRESHOLD`` for the crawl (a
    process that asked for a slower pace itself keeps it) and counts the collections."""

    def __init__(self, threshold: int, stats: StatsCollector | None = None) -> None:
        self.threshold = threshold
        self.stats = stats
        self._before: tuple[int, int, int] | None = None
        self._counts = [0, 0, 0]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CollectorPace:
        pace = cls(max(0, crawler.settings.getint("GC_THRESHOLD")), crawler.stats)
        crawler.signals.connect(pace.engine_started, signals.engine_started)
        crawler.signals.connect(pace.spider_closed, signals.spider_closed)
        crawler.signals.connect(pace.engine_stopped, signals.engine_stopped)
        return pace

    def engine_started(self) -> None:
        self._counts = [generation["collections"] for generation in gc.get_stats()]
        before = gc.get_threshold()
        if not self.threshold:
            return  # GC_THRESHOLD = 0: Python's own pace
        if before[0] >= self.threshold:
            return  # the process asked for a slower pace itself: keep it
        self._before = before
        gc.set_threshold(self.threshold, before[1], before[2])
        logger.debug("Young generation collected every %d allocations", self.threshold)

    def spider_closed(self) -> None:
        if self.stats is None:
            return
        for generation, stats in enumerate(gc.get_stats()):
            taken = stats["collections"] - self._counts[generation]
            self.stats.set_value(f"gc/collections/{generation}", taken)

    def engine_stopped(self) -> None:
        if self._before is not None:
            gc.set_threshold(*self._before)
            self._before = None
