"""``scrapy crawl mixesdb``: MixesDB's mixes through its MediaWiki API (``api.php``).

MixesDB is a MediaWiki; its API serves programs under MediaWiki's bot etiquette: one
request at a time (the per-host clock gives that), a descriptive User-Agent (ours names
the crawler and your contact), and ``maxlag=5`` on every request. A lagged wiki answers a
``maxlag`` error with ``Retry-After``: the host is paused in the clock for that long and
the request asked again. Pages come as parsed HTML (``action=parse``), read by the same
MixesDB page class as a crawl of the page itself, so both give the same sets, with the
page's URL on mixesdb.com.

Requests: one per category page of up to 500 titles, one per mix page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.politeness.retry_after import parse_retry_after
from crawler.politeness.turns import Turns
from crawler.sites import mixesdb
from crawler.spiders._arguments import check_arguments
from crawler.spiders._base import ApiSpider
from crawler.wiring import part

_LAG_RETRIES = 5
"""A wiki lagged this many times running for one request: the request is given up."""


def _titles(value: str | None) -> list[str]:
    """Titles separated by ``|``, as MediaWiki separates them (titles hold commas)."""
    return [t.strip().replace("_", " ") for t in (value or "").split("|") if t.strip()]


class MixesDBSpider(ApiSpider):
    """Yields the sets of MixesDB pages.

    Arguments: ``page`` (page titles, ``|``-separated) and ``category`` (category names,
    ``|``-separated: every mix page in them). Setting: ``MIXESDB_API_URL``.
    """

    name = "mixesdb"
    api_setting = "MIXESDB_API_URL"
    api_label = "MixesDB"

    def __init__(self, page: str | None = None, category: str | None = None, **kwargs: Any) -> None:
        check_arguments(type(self), kwargs)
        super().__init__(**kwargs)
        self.pages = _titles(page)
        self.categories = _titles(category)
        self.seen: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        if not (self.pages or self.categories):
            self.logger.error("Nothing to crawl: give -a page=TITLE[|TITLE] or -a category=NAME")
            return
        for title in self.pages:
            request = self._page(title)
            if request is not None:
                yield request
        for category in self.categories:
            yield self._get(mixesdb.category_request_url(self.api, category), self.parse_category)

    def _page(self, title: str) -> scrapy.Request | None:
        if title in self.seen:
            return None
        self.seen.add(title)
        return self._get(mixesdb.parse_request_url(self.api, title), self.parse_page)

    async def _answer(self, response: Response) -> dict[str, Any] | scrapy.Request | None:
        """The answer; or the request again after the wait a lagged wiki asks for."""
        answer = self._json(response)
        if answer is None:
            return None
        error = mixesdb.api_error(answer)
        if error == "maxlag":
            return await self._after_lag(response)
        if error is not None:
            self.crawler.stats.inc_value(f"mixesdb/api_error/{error}")
            self.logger.warning("api.php answered %s for %s", error, response.url)
            return None
        return answer

    async def _after_lag(self, response: Response) -> scrapy.Request | None:
        self.crawler.stats.inc_value("mixesdb/maxlag")
        tries = int(response.meta.get("mixesdb_lagged", 0)) + 1
        if tries > _LAG_RETRIES:
            self.logger.warning("Wiki still lagged after %d waits: %s", tries - 1, response.url)
            return None
        wait = parse_retry_after(response.headers.get(b"Retry-After")) or float(mixesdb.MAXLAG)
        assert response.request is not None
        host = urlparse_cached(response.request).hostname or ""
        await part(self.crawler, Turns).pause(host, wait)
        self.logger.info("%s is lagged (maxlag): waiting %.0f s as it asks", host, wait)
        return response.request.replace(
            dont_filter=True, meta={**response.request.meta, "mixesdb_lagged": tries}
        )

    async def parse_category(self, response: Response) -> AsyncIterator[Any]:
        answer = await self._answer(response)
        if isinstance(answer, scrapy.Request):
            yield answer
            return
        if answer is None:
            return
        titles, cont = mixesdb.category_titles(answer)
        for title in titles:
            request = self._page(title)
            if request is not None:
                yield request
        if cont and "cmcontinue" in cont:
            following = mixesdb.category_request_url(self.api, _cmtitle(response.url), cont)
            yield self._get(following, self.parse_category)

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        answer = await self._answer(response)
        if isinstance(answer, scrapy.Request):
            yield answer
            return
        if answer is None:
            return
        sets = mixesdb.parsed_page_sets(answer)
        if not sets:
            self.crawler.stats.inc_value("mixesdb/no_tracklist")
        for djset in sets:
            self.crawler.stats.inc_value("mixesdb/mixes")
            yield djset


def _cmtitle(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("cmtitle", [""])[0]
