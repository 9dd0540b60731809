"""One politeness summary per crawl: its figures, and a block in the log.

The stats the components keep under ``politeness/`` (refusals by reason, pauses, nofollow
and noindex pages, per-host shortest gap) are gathered at the end of every crawl and
logged as one block; monitoring keeps the same figures with the run's row in the store
(``crawl_runs``, ``crawler/monitor/runs.py``), so that how a crawl behaved can be checked
later, not only while its log scrolls by.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals

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
    """Extension: the end-of-crawl block in the log (the ``crawl_runs`` row, which keeps
    these figures too, is monitoring's: ``crawler/monitor/runs.py``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PolitenessSummary:
        return cls(crawler)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        logger.info("%s", self.block(politeness_figures(self.crawler.stats.get_stats())))

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
