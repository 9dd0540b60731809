"""One politeness summary per crawl: stats, a block in the log, and a row in the store.

The stats the components keep under ``politeness/`` (refusals by reason, pauses, nofollow
and noindex pages, per-host shortest gap) are gathered at the end of every crawl, logged
as one block, and kept with the run's row in the store (``crawl_runs``), so that how a
crawl behaved can be checked later, not only while its log scrolls by.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler.monitor.extension import verdict_once_feeds_closed
from crawler.politeness.config import PolitenessConfig
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

__all__ = ["PolitenessSummary", "politeness_figures"]

logger = logging.getLogger(__name__)

PREFIX = "politeness/"
_GAP = PREFIX + "gap_min/"
_ALLOWED = PREFIX + "gap_allowed/"


def politeness_figures(stats: dict[str, Any]) -> dict[str, Any]:
    """The ``politeness/`` stats, with per-host shortest gaps gathered under ``gap_min``
    and the gap allowed when each was left under ``gap_allowed``."""
    figures: dict[str, Any] = {"gap_min": {}, "gap_allowed": {}}
    for key, value in sorted(stats.items()):
        if key.startswith(_GAP):
            figures["gap_min"][key[len(_GAP) :]] = value
        elif key.startswith(_ALLOWED):
            figures["gap_allowed"][key[len(_ALLOWED) :]] = value
        elif key.startswith(PREFIX):
            figures[key[len(PREFIX) :]] = value
    return figures


class PolitenessSummary:
    """Extension: the end-of-crawl block and the crawl-run row."""

    def __init__(self, crawler: Crawler, config: PolitenessConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.started_at = datetime.now(UTC)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PolitenessSummary:
        return cls(crawler, part(crawler, PolitenessConfig))

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        figures = politeness_figures(stats)
        logger.info("%s", self.block(figures))
        if self.config.record_runs and self.config.database_url:
            # judged here too: the row must carry the outcome whichever extension runs first
            outcome = (await verdict_once_feeds_closed(self.crawler, reason)).outcome.value
            self._record(spider, reason, stats, {**figures, **self.config.summary()}, outcome)

    def block(self, figures: dict[str, Any]) -> str:
        gaps = figures.get("gap_min", {})
        lines = ["Politeness summary:"]
        counts = {k: v for k, v in figures.items() if k not in ("gap_min", "gap_allowed")}
        if not counts:
            lines.append("  nothing refused, paused or dropped")
        for key, value in counts.items():
            lines.append(f"  {key}: {value}")
        if gaps:
            lines.append(f"  shortest gap per host ({len(gaps)} hosts):")
            shown = sorted(gaps.items(), key=lambda kv: kv[1])
            for host, gap in shown[:20]:
                lines.append(f"    {host}: {gap:.3f} s")
            if len(shown) > 20:
                lines.append(f"    ... and {len(shown) - 20} more hosts")
        return "\n".join(lines)

    def _record(
        self,
        spider: Spider,
        reason: str,
        stats: dict[str, Any],
        figures: dict[str, Any],
        outcome: str,
    ) -> None:
        try:
            from crawler.store.db import session_factory
            from crawler.store.repository import record_crawl_run
        except ImportError as exc:  # the store is optional for politeness
            logger.warning("Crawl run not recorded: the store is unavailable (%s)", exc)
            return
        try:
            factory = session_factory(self.config.database_url or "")
            with factory.begin() as session:
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
            from crawler.store.db import describe_store_error

            logger.error(
                "Crawl run not recorded: %s",
                describe_store_error(self.config.database_url or "", error),
            )
            logger.debug("The error in full:", exc_info=error)
