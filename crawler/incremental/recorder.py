"""Records each parsed page in the store, once everything it yielded is done with.

A page is recorded (status, time, content hash, ETag, Last-Modified, and the requests it
led to) only after the item pipelines have finished with every set it yielded. So a crawl
killed at any moment never leaves a page recorded whose sets were not stored: on the next
run that page is answered 304 and its sets would never come back.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http.request import NO_CALLBACK

from crawler.incremental.book import PageBook, PageRecord, utcnow
from crawler.incremental.config import IncrementalConfig
from crawler.incremental.meta import FETCHED_AT, LASTMOD
from crawler.incremental.middleware import eligible
from crawler.politeness.aiuse import AI_USE_META
from crawler.signals import set_unstored
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["PageRecorder"]

logger = logging.getLogger(__name__)


@dataclass
class _Open:
    """A parsed page whose output is still on its way."""

    response: Response
    links: list[Any] = field(default_factory=list)
    items: int = 0
    done: bool = False
    unstored: bool = False
    """A set of this page went to the spool: the page stays unrecorded."""


def _link(request: Request) -> list[Any] | None:
    """How to ask for ``request`` again: ``[url, callback name, lastmod]``."""
    if request.method != "GET" or request.callback is NO_CALLBACK:
        return None
    callback = getattr(request.callback, "__name__", None) if request.callback else None
    return [request.url, callback, request.meta.get(LASTMOD)]


class PageRecorder:
    """Spider middleware; the outermost one (lowest order), so it sees the final output."""

    def __init__(self, crawler: Crawler, book: PageBook) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.book = book
        self._open: dict[int, _Open] = {}
        self._unstored: set[int] = set()
        """id() of the items the store pipeline could not store, until their page hears of
        them. The pipelines may replace an item (normalization makes a copy), so the page
        is found by the item that comes out of them, with the response Scrapy names."""
        crawler.signals.connect(self._item_unstored, signal=set_unstored)
        for signal in (signals.item_scraped, signals.item_dropped):
            crawler.signals.connect(self._item_done, signal=signal)
        crawler.signals.connect(self._item_failed, signal=signals.item_error)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageRecorder:
        if not IncrementalConfig.from_settings(crawler.settings).enabled:
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        return cls(crawler, part(crawler, PageBook))

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        request = response.request
        if not (request is not None and eligible(request) and 200 <= response.status < 300):
            async for output in result:
                yield output
            return
        page = self._open[id(response)] = _Open(response)
        try:
            async for output in result:
                if isinstance(output, Request):
                    if (link := _link(output)) is not None:
                        page.links.append(link)
                elif output is not None:
                    page.items += 1
                yield output
        except BaseException:
            # a callback that failed half-way: leave the page unrecorded, to parse again
            self._open.pop(id(response), None)
            raise
        page.done = True
        self._maybe_record(page)

    def _item_unstored(self, item: Any, **_: Any) -> None:
        self._unstored.add(id(item))

    def _item_failed(self, item: Any, response: Response | None = None, **_: Any) -> None:
        # a pipeline raised: the set may be anywhere but in the store; fetch it again
        self._item_done(item, response, unstored=True)

    def _item_done(
        self, item: Any, response: Response | None = None, unstored: bool = False, **_: Any
    ) -> None:
        unstored = id(item) in self._unstored or unstored
        self._unstored.discard(id(item))
        page = self._open.get(id(response)) if response is not None else None
        if page is not None and page.response is response:
            page.unstored = page.unstored or unstored
            page.items -= 1
            self._maybe_record(page)

    def _maybe_record(self, page: _Open) -> None:
        if page.done and page.items <= 0:
            self._record(page)

    def _record(self, page: _Open) -> None:
        self._open.pop(id(page.response), None)
        assert self.stats is not None
        if page.unstored:
            # Its sets wait in the spool: with a record, the next crawl would get a 304
            # and never see them again; without one, it fetches the page in full.
            self.stats.inc_value("incremental/pages_not_recorded")
            return
        response = page.response
        headers = response.headers
        etag = headers.get(b"ETag")
        last_modified = headers.get(b"Last-Modified")
        self.book.record(
            PageRecord(
                url=response.url,
                status=response.status,
                fetched_at=response.meta.get(FETCHED_AT) or utcnow(),
                content_hash=hashlib.sha256(response.body).hexdigest(),
                etag=etag.decode("latin-1") if etag else None,
                last_modified=last_modified.decode("latin-1") if last_modified else None,
                links=page.links,
                ai_use=response.meta.get(AI_USE_META),
            )
        )
        self.stats.inc_value("incremental/pages_recorded")

    def _spider_closed(self, spider: Any, reason: str) -> None:
        # The pipelines are done by now: whatever is still open has been fully handled.
        for page in list(self._open.values()):
            if page.done:
                self._record(page)
        self.book.flush()
