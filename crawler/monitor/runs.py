"""One ``crawl_runs`` row per crawl: the run's stats, outcome and politeness figures.

Written at the end of the crawl, once its outcome is judged (feeds closed), so that how a
crawl went can be checked later, not only while its log scrolls by. The politeness
figures are what the politeness package says of the run (:func:`politeness_figures` of
the stats, and the settings that bounded it when the Politeness add-on ran).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.monitor.extension import verdict_once_feeds_closed
from crawler.politeness.config import PolitenessConfig
from crawler.politeness.summary import politeness_figures
from crawler.wiring import MissingAddon, part

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

__all__ = ["CrawlRunRecord"]

logger = logging.getLogger(__name__)


class CrawlRunRecord:
    """Extension: writes the crawl's ``crawl_runs`` row (``CRAWL_RUNS_RECORD``)."""

    def __init__(self, crawler: Crawler, database_url: str) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.started_at = datetime.now(UTC)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecord:
        database_url = crawler.settings.get("DATABASE_URL")
        if not crawler.settings.getbool("CRAWL_RUNS_RECORD") or not database_url:
            raise NotConfigured  # silent: no row unless asked for, and no store to hold it
        return cls(crawler, database_url)

    def _politeness(self, stats: dict[str, Any]) -> dict[str, Any]:
        try:
            bounds = part(self.crawler, PolitenessConfig).summary()
        except MissingAddon:  # a crawl without the Politeness add-on: its stats only
            bounds = {}
        return {**politeness_figures(stats), **bounds}

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        # judged here too: the row must carry the outcome whichever extension runs first
        outcome = (await verdict_once_feeds_closed(self.crawler, reason)).outcome.value
        stats = self.crawler.stats.get_stats()
        self._record(spider, reason, stats, self._politeness(stats), outcome)

    def _record(
        self,
        spider: Spider,
        reason: str,
        stats: dict[str, Any],
        figures: dict[str, Any],
        outcome: str,
    ) -> None:
        from crawler.store.db import describe_store_error, session_factory
        from crawler.store.runs import record_crawl_run

        try:
            with session_factory(self.database_url).begin() as session:
                record_crawl_run(
                    session,
                    spider.name,
                    self.started_at,
                    datetime.now(UTC),
                    stats,
                    figures,
                    name=self.crawler.settings.get("CRAWL_NAME"),
                    finish_reason=reason,
                    outcome=outcome,
                )
        except Exception as error:
            logger.error(
                "Crawl run not recorded: %s", describe_store_error(self.database_url, error)
            )
            logger.debug("The error in full:", exc_info=error)
