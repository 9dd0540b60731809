"""429 and 503: the server asks us to come back later, so the whole host waits.

With ``Retry-After`` (seconds or an HTTP date) the host is paused in the clock until then
and the request retried; no request to that host leaves before. Without it, the pace
policy has already doubled the host's gap (``pace.py``: errors double the factor, good
answers bring it back gradually) and the request is retried at that slower pace. A wait
above ``RETRY_AFTER_MAX`` (1 h) leaves the host out of this run, with one log line.

Placed just above Scrapy's RetryMiddleware (550), so it sees these answers first and
Scrapy's blind retry never fires for them.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.politeness.turns import Turns
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["RetryAfterMiddleware", "parse_retry_after"]

logger = logging.getLogger(__name__)

STATUSES = (429, 503)


def parse_retry_after(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date), or None
    when absent or unreadable. Dates in the past mean 0."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler, turns: Turns) -> None:
        self.crawler = crawler
        self.turns = turns
        self.config = turns.config
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler, part(crawler, Turns))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in STATUSES:
            return response
        assert self.stats is not None
        host = urlparse_cached(request).hostname or ""
        wait = parse_retry_after(response.headers.get(b"Retry-After"))
        if wait is not None:
            if not await self.turns.retry_after(host, wait, f"it answered {response.status}"):
                raise IgnoreRequest(f"Host {host} asked for a wait above RETRY_AFTER_MAX")
            self.stats.inc_value("politeness/paused/retry_after")
            logger.info(
                "%s answered %s: pausing the host for %.1f s (Retry-After)",
                host,
                response.status,
                wait,
            )
        else:
            self.stats.inc_value("politeness/backoff/no_retry_after")
        if request.meta.get("dont_retry"):
            return response
        assert self.crawler.spider is not None  # responses come only while a spider runs
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=f"HTTP {response.status}",
            max_retry_times=self.config.retry_after_times,
            stats_base_key="politeness/retry",
        )
        return retry or response
