"""The crawl's outcome, its one-line summary, and (with ``METRICS_PORT``) its metrics.

At the end of a crawl the outcome (crawler/monitor/outcome.py) is put in the stats as
``crawl/outcome`` — the ``crawl`` command turns it into the exit code, the run's record
(crawler/monitor/runs.py) writes it on the ``crawl_runs`` row — and one line says what the
crawl did. Each extraction alarm gets a warning of its own.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler.logsafe import counted
from crawler.monitor.feeds import FeedWatch
from crawler.monitor.metrics import CrawlTotals, MetricsServer, refusals, registry_for
from crawler.monitor.outcome import SUCCESSES, Verdict, crawl_outcome

if TYPE_CHECKING:
    from collections.abc import Mapping

    from scrapy.crawler import Crawler

__all__ = [
    "OUTCOME_STAT",
    "CrawlOutcome",
    "summary_line",
    "verdict_for",
    "verdict_once_feeds_closed",
]

logger = logging.getLogger(__name__)

OUTCOME_STAT = "crawl/outcome"


def _n(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def _import_figures(stats: Mapping[str, Any]) -> str:
    """Files read and unreadable, as the importer's own count line says them."""
    line = f"{counted(_n(stats, 'import/files'), 'file')} read"
    line += f" ({_n(stats, 'import/errors')} unreadable"
    if skipped := _n(stats, "import/skipped"):
        line += f", {counted(skipped, 'other file')} skipped"
    line += ")"
    if folders := _n(stats, "import/folders_skipped"):
        line += f", {counted(folders, 'folder')} not read"
    return line


def summary_line(verdict: Verdict, stats: Mapping[str, Any]) -> str:
    """One line: the outcome, pages, sets, errors and the politeness figures."""
    n = stats.get
    refused = refusals(stats)
    gaps = [v for k, v in stats.items() if k.startswith("politeness/gap_min/")]
    fetched = _n(stats, "crawl/pages/fetched") + _n(stats, "incremental/not_modified")
    parts = [
        f"Crawl {verdict.outcome.value}",
        f"{fetched} pages fetched ({_n(stats, 'incremental/not_modified')} not modified)",
        f"sets {n('store/created', 0)} new / {n('store/updated', 0)} updated / "
        f"{n('store/unchanged', 0)} unchanged / {n('store/linked', 0)} linked to a set seen"
        f" elsewhere / {n('incremental/sets_gone', 0)} gone",
        f"{verdict.figures.failed} errors",
        f"refused: {refused['robots']} by robots.txt, {refused['terms']} by terms, "
        f"{refused['noindex']} noindex, {refused['tdm']} TDM",
        f"{n('politeness/paused/retry_after', 0)} Retry-After pauses",
    ]
    if any(_n(stats, f"import/{k}") for k in ("files", "skipped", "folders_skipped")):
        parts.insert(1, _import_figures(stats))
    if _n(stats, "store/unstored"):
        parts.insert(3, f"{n('store/unstored')} sets unstored")
    if gaps:
        parts.append(f"shortest gap {min(gaps):.2f} s over {len(gaps)} hosts")
    head = parts[0] if verdict.outcome.value == "ok" else f"{parts[0]} — {verdict.why}"
    return f"{head}: " + ", ".join(parts[1:])


class CrawlOutcome:
    """Extension: judges the crawl once, at its end; serves its metrics while it runs."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.alert_ratio = settings.getfloat("EXTRACTION_ALERT_RATIO")
        self.alert_min_pages = settings.getint("EXTRACTION_ALERT_MIN_PAGES")
        self.name: str = settings.get("CRAWL_NAME") or ""
        self.metrics_port = settings.getint("METRICS_PORT")
        self.verdict: Verdict | None = None
        self.server: MetricsServer | None = None
        self.totals = CrawlTotals()
        self.feeds = FeedWatch(crawler)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlOutcome:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.name = self.name or spider.name
        if self.metrics_port:
            registry = registry_for(self._live_totals)
            try:
                self.server = MetricsServer(self.metrics_port, registry, self._alive).start()
            except OSError as exc:
                logger.error("Metrics not served on port %d: %s", self.metrics_port, exc)

    def _alive(self) -> bool:
        return self.verdict is None

    def _live_totals(self) -> dict[str, CrawlTotals]:
        assert self.crawler.stats is not None
        live = CrawlTotals(
            last_run=self.totals.last_run,
            last_success=self.totals.last_success,
            outcomes=dict(self.totals.outcomes),
        )
        live.add_stats(self.crawler.stats.get_stats())
        return {self.name: live}

    def finish(self, reason: str) -> Verdict:
        """The crawl's verdict (judged once; later calls return the same)."""
        if self.verdict is not None:
            return self.verdict
        stats = self.crawler.stats
        assert stats is not None
        verdict = crawl_outcome(stats.get_stats(), reason, self.alert_ratio, self.alert_min_pages)
        self.verdict = verdict
        stats.set_value(OUTCOME_STAT, verdict.outcome.value)
        archive = self.crawler.settings.get("WARC_DIR")
        for alarm in verdict.figures.alarms:
            logger.warning("%s", alarm.message)
            if archive:  # the pages are kept: a fixed page class needs no second visit
                logger.warning(
                    "Once its page class is fixed: crawler reextract --warc %s --site %s"
                    " (no request sent)", archive, alarm.site,
                )  # fmt: skip
        level = logging.INFO if verdict.outcome.value == "ok" else logging.WARNING
        logger.log(level, "%s", summary_line(verdict, stats.get_stats()))
        self.totals.add_outcome(verdict.outcome.value, time.time(),
                                verdict.outcome in SUCCESSES)  # fmt: skip
        return verdict

    async def spider_closed(self, spider: Any, reason: str) -> None:
        await self.feeds.wait()  # a feed that could not be written is part of the verdict
        self.finish(reason)

    def engine_stopped(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


async def verdict_once_feeds_closed(crawler: Crawler, reason: str) -> Verdict:
    """:func:`verdict_for`, once every feed is closed (written, or failed)."""
    extension = crawler.get_extension(CrawlOutcome)
    if extension is not None:
        await extension.feeds.wait()
    return verdict_for(crawler, reason)


def verdict_for(crawler: Crawler, reason: str) -> Verdict:
    """The crawl's verdict, from the extension when it runs (it judges once)."""
    extension = crawler.get_extension(CrawlOutcome)
    if extension is not None:
        return extension.finish(reason)
    assert crawler.stats is not None
    settings = crawler.settings
    return crawl_outcome(
        crawler.stats.get_stats(),
        reason,
        settings.getfloat("EXTRACTION_ALERT_RATIO"),
        settings.getint("EXTRACTION_ALERT_MIN_PAGES"),
    )
