"""Conditional requests: pages the store has seen are asked for with their validators.

A 304 costs the site a few hundred bytes and changes nothing in the store: the page is not
parsed again; the requests it led to last time (stored by the recorder) are scheduled in
its place, so a recrawl still reaches every page. A page whose sitemap ``lastmod`` is older
than its last fetch is not asked for at all, and is followed the same way. A 404 or 410
marks the page's sets gone (never deleted).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.incremental.book import Known, PageBook, utcnow
from crawler.incremental.config import IncrementalConfig
from crawler.incremental.meta import FETCHED_AT, LASTMOD, SKIP, VALIDATED
from crawler.incremental.sitemaps import is_fresh
from crawler.politeness.policy_files import is_policy_file
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["ConditionalRequestMiddleware", "eligible"]

logger = logging.getLogger(__name__)

_CONDITIONAL = (b"If-None-Match", b"If-Modified-Since")
_GONE = (404, 410)


def eligible(request: Request) -> bool:
    """Requests whose pages the store keeps: plain GETs of http(s) pages, not the policy
    files the politeness package fetches (robots.txt, tdmrep.json: it needs their bodies
    every time, keeps their verdicts itself, and a 404 of one marks no set gone)."""
    return (
        request.method == "GET"
        and request.url.startswith(("http://", "https://"))
        and not request.meta.get(SKIP)
        and not is_policy_file(request)
    )


class ConditionalRequestMiddleware:
    """Downloader middleware; sits next to the downloader (like Scrapy's HTTP cache) so that
    it sees a 304 before anything else does."""

    def __init__(self, crawler: Crawler, book: PageBook) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.book = book

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        if not IncrementalConfig.from_settings(crawler.settings).enabled:
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        return cls(crawler, part(crawler, PageBook))

    def _inc(self, key: str, count: int = 1) -> None:
        assert self.stats is not None
        self.stats.inc_value(f"incremental/{key}", count)

    def process_request(self, request: Request) -> None:
        validated_for = request.meta.get(VALIDATED)
        if validated_for is not None and validated_for != request.url:
            # a redirect copied another URL's validators: they say nothing about this one
            for name in _CONDITIONAL:
                request.headers.pop(name, None)
            del request.meta[VALIDATED]
        if not eligible(request):
            return
        known = self.book.known(request.url)
        if known is None or not 200 <= known.status < 300:
            return
        if is_fresh(request.meta.get(LASTMOD), known.fetched_at):
            self._inc("fresh_by_sitemap")
            self._follow_stored_links(request)
            raise IgnoreRequest("unchanged since fetched, says the sitemap")
        self._add_validators(request, known)

    def _add_validators(self, request: Request, known: Known) -> None:
        added = False
        if known.etag and b"If-None-Match" not in request.headers:
            request.headers[b"If-None-Match"] = known.etag
            added = True
        # a server must ignore If-Modified-Since next to If-None-Match (RFC 9110, 13.1.3):
        # the date goes only where there is no ETag, and the request stays small
        if (
            known.last_modified
            and not added
            and not {b"If-Modified-Since", b"If-None-Match"} & set(request.headers)
        ):
            request.headers[b"If-Modified-Since"] = known.last_modified
            added = True
        if added:
            request.meta[VALIDATED] = request.url
            self._inc("conditional")

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == 304 and request.meta.get(VALIDATED) == request.url:
            self._inc("not_modified")
            self._follow_stored_links(request)
            raise IgnoreRequest("not modified")
        if 200 <= response.status < 300:
            # when the request went out, not when parsing ended: a change in between must
            # not pass for fresh when a sitemap's lastmod is compared with this time
            latency = float(request.meta.get("download_latency") or 0)
            request.meta[FETCHED_AT] = utcnow() - timedelta(seconds=latency)
        if response.status in _GONE and eligible(request):
            gone = self.book.gone(request.url, response.status)
            if gone:
                self._inc("sets_gone", gone)
                logger.info("%d set(s) gone from %s (%d)", gone, request.url, response.status)
        return response

    def _follow_stored_links(self, request: Request) -> None:
        """Schedule what the unchanged page led to when it was last parsed."""
        spider = self.crawler.spider
        assert spider is not None and self.crawler.engine is not None
        depth = request.meta.get("depth", 0)
        max_depth = getattr(spider, "max_depth", None)
        depth_limit = self.crawler.settings.getint("DEPTH_LIMIT")
        if isinstance(max_depth, int) and depth >= max_depth:
            return
        if depth_limit and depth + 1 > depth_limit:
            return
        followed = 0
        for link in self.book.links(request.url):
            if not isinstance(link, list) or not link or not isinstance(link[0], str):
                continue  # written by a later version, or damaged: not ours to guess
            url, callback_name, lastmod = [*link, None, None][:3]
            callback: Any = None
            if callback_name:
                callback = getattr(spider, callback_name, None)
                if not callable(callback):
                    logger.debug("No callback %r on the spider for %s", callback_name, url)
                    continue
            meta: dict[str, Any] = {"depth": depth + 1}
            if lastmod:
                meta[LASTMOD] = lastmod
            self.crawler.engine.crawl(Request(url, callback=callback, meta=meta))
            followed += 1
        if followed:
            self._inc("links_followed_from_store", followed)
