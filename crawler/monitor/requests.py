"""Counts what became of each page request, once retries are done with it.

Scrapy's own ``downloader/*`` stats count every attempt, robots.txt fetches included, so a
host retried three times looks like three failures and a refused robots.txt like a page.
This middleware sits just outside the retry middlewares: it sees each request's final
response or final error, and nothing that the politeness components refused
(``IgnoreRequest``, counted under ``politeness/``), nor the site's policy files
(robots.txt, tdmrep.json: ``policy_files.py``). Its stats feed the crawl's outcome:

- ``crawl/pages/fetched``: page requests answered (any status; 304s are counted by the
  incremental middleware as ``incremental/not_modified``);
- ``crawl/pages/failed``: download errors and error statuses after retries (5xx, 429, and
  4xx other than 404 and 410, which only say a set is gone), also by kind under
  ``crawl/pages/failed/<exception or status>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest

from crawler.politeness.policy_files import is_policy_file

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

__all__ = ["RequestOutcomes", "is_failure_status"]

_GONE = (404, 410)


def is_failure_status(status: int) -> bool:
    """An answer that means the page could not be had (after retries)."""
    return status >= 500 or (400 <= status < 500 and status not in _GONE)


class RequestOutcomes:
    """Downloader middleware (order 540, just outside RetryMiddleware's 550)."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RequestOutcomes:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if not is_policy_file(request):
            self.stats.inc_value("crawl/pages/fetched")
            if is_failure_status(response.status):
                self._failed(str(response.status))
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not is_policy_file(request) and not isinstance(exception, IgnoreRequest):
            self._failed(type(exception).__name__)

    def _failed(self, kind: str) -> None:
        self.stats.inc_value("crawl/pages/failed")
        self.stats.inc_value(f"crawl/pages/failed/{kind}")
