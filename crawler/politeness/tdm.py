"""TDM reservations (W3C TDMRep): rights holders who reserve text-and-data mining.

A page is reserved when its response carries ``tdm-reservation: 1``, its HTML a
``<meta name="tdm-reservation" content="1">``, or its path matches a rule of the host's
``/.well-known/tdmrep.json`` with ``"tdm-reservation": 1``. Items (sets) from reserved
pages are dropped unless ``TDM_RESERVATION_DROPS_ITEMS = False``. The well-known file is
fetched once per origin, only when a page yields items, through the same paced downloader.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable
from typing import TYPE_CHECKING, Any, Protocol

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached

from crawler.politeness.config import config_for

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["TdmRepMiddleware", "parse_tdmrep", "reserved_by_rules"]

logger = logging.getLogger(__name__)

TDMREP_MAX_BYTES = 1024 * 1024
"""A tdmrep.json is a short list of rules; anything larger (or expanding past this) is
refused like a missing file."""

Rules = list[tuple[re.Pattern[str], bool]]


def parse_tdmrep(body: bytes) -> Rules:
    """``[{"location": "/path/*", "tdm-reservation": 1}, ...]`` -> (pattern, reserved)."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    rules: Rules = []
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("location"), str):
            continue
        location = entry["location"]
        pattern = re.escape(location).replace(r"\*", ".*")
        if pattern.endswith(r"\$"):
            pattern = pattern[:-2] + "$"
        rules.append((re.compile(pattern), str(entry.get("tdm-reservation")) == "1"))
    return rules


def reserved_by_rules(path: str, rules: Rules) -> bool:
    """The first matching rule decides (TDMRep, "tdmrep.json")."""
    for pattern, reserved in rules:
        if pattern.match(path):
            return reserved
    return False


def reserved_by_page(response: Response) -> bool:
    if response.headers.get(b"tdm-reservation", b"").strip() == b"1":
        return True
    if isinstance(response, HtmlResponse):
        value = response.xpath('//meta[@name="tdm-reservation"]/@content').get()
        return (value or "").strip() == "1"
    return False


class TurnFetcher(Protocol):
    """What downloads a politeness file at its host's turn, outside the download slots
    (the frontier, ``frontier.py``)."""

    def fetch_at_turn(self, request: Request) -> Awaitable[Response]: ...


class TdmRepMiddleware:
    """Spider middleware: drops items from pages whose rights holder reserves TDM."""

    def __init__(self, crawler: Crawler) -> None:
        self.config = config_for(crawler)
        if not self.config.tdm_drops_items:
            raise NotConfigured("TDM_RESERVATION_DROPS_ITEMS is off")
        self.crawler = crawler
        self._rules: dict[str, asyncio.Future[Rules]] = {}
        self._frontier: TurnFetcher | None = None

    def use_frontier(self, frontier: TurnFetcher) -> None:
        """Fetch tdmrep.json through ``frontier`` (which calls this when it opens): at
        the host's turn, rather than waiting for it in a download slot."""
        self._frontier = frontier

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TdmRepMiddleware:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        reserved: bool | None = None
        async for entry in result:
            if isinstance(entry, Request):
                yield entry
                continue
            if reserved is None:
                reserved = await self._reserved(response)
            if reserved:
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("politeness/dropped/tdm_items")
                continue
            yield entry

    async def _reserved(self, response: Response) -> bool:
        if reserved_by_page(response):
            self._count_page()
            return True
        if not self.config.tdm_fetch_wellknown or not response.url.startswith("http"):
            return False
        parts = urlparse_cached(response)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._rules:
            self._rules[origin] = asyncio.ensure_future(self._fetch(origin))
        if reserved_by_rules(parts.path or "/", await asyncio.shield(self._rules[origin])):
            self._count_page()
            return True
        return False

    def _count_page(self) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("politeness/pages/tdm_reserved")

    async def _fetch(self, origin: str) -> Rules:
        assert self.crawler.engine is not None
        request = Request(
            f"{origin}/.well-known/tdmrep.json",
            callback=NO_CALLBACK,
            dont_filter=True,
            priority=900,
            meta={
                "dont_retry": True,
                "handle_httpstatus_all": True,
                "dont_redirect": True,
                "download_maxsize": TDMREP_MAX_BYTES,
            },
        )
        try:
            if self._frontier is not None:
                response = await self._frontier.fetch_at_turn(request)
            else:
                response = await self.crawler.engine.download_async(request)
        except Exception as exc:
            logger.debug("No tdmrep.json for %s: %s", origin, exc)
            return []
        return parse_tdmrep(response.body) if response.status == 200 else []
