"""The shared duplicate filter: scrapy-redis' fingerprints, kept for the whole crawl.

scrapy-redis' ``RFPDupeFilter`` works with Scrapy 2.19, but it clears its set when any
worker closes (``close()``), which empties the filter under the workers still running,
and its own ``log`` passes ``spider=`` to the stats (deprecated in 2.19). This subclass
keeps the set and logs without it. In cluster mode the scheduler does not ask
:meth:`request_seen`: it adds the fingerprint in the same Lua step that queues the
request (``frontier.py``), so a worker dying in between can't mark a URL seen and lose it.
Its fingerprint (method, canonical URL, body) needs no crawler, so ``crawler enqueue``
computes the same one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["ClusterDupeFilter", "fingerprint"]

logger = logging.getLogger(__name__)


def fingerprint(request: Request) -> str:
    """The shared filter's key for ``request`` (the same in every worker and the CLI)."""
    key: str = RFPDupeFilter.request_fingerprint(None, request)
    return key


class ClusterDupeFilter(RFPDupeFilter):  # type: ignore[misc]  # scrapy-redis is untyped
    logger = logger

    def __init__(self, server: object, key: str, debug: bool = False) -> None:
        super().__init__(server, key, debug)
        self.logdupes: bool = True
        self.stats: StatsCollector | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterDupeFilter:
        settings = crawler.settings
        # The key is set by the scheduler once the crawl name is known (spider open).
        debug = settings.getbool("DUPEFILTER_DEBUG")
        df = cls(get_redis_from_settings(settings), key="", debug=debug)
        df.stats = crawler.stats
        return df

    def request_seen(self, request: Request) -> bool:
        if not self.key:
            raise RuntimeError("ClusterDupeFilter used before the crawl name was bound")
        return bool(super().request_seen(request))

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: other workers are still using them."""

    def log(self, request: Request, spider: Spider | None = None) -> None:
        if self.debug:
            logger.debug("Filtered duplicate request: %(request)s", {"request": request})
        elif self.logdupes:
            logger.debug(
                "Filtered duplicate request %(request)s - no more duplicates will be shown "
                "(see DUPEFILTER_DEBUG to show all duplicates)",
                {"request": request},
            )
            self.logdupes = False
        if self.stats is not None:
            self.stats.inc_value("dupefilter/filtered")
