"""What a page says about itself: ``<meta name="robots">`` and ``X-Robots-Tag``.

Directives addressed to everyone (``robots``, an unprefixed header) or to our product token
(``<meta name="PoliteTracklistCrawler">``, ``X-Robots-Tag: PoliteTracklistCrawler: noindex``)
apply. ``nofollow``: requests coming from that page are dropped. ``noindex`` / ``none``:
items (sets) from that page are dropped, unless ``NOINDEX_DROPS_ITEMS = False``.
``rel="nofollow"`` on single links is the spider's business (``link.nofollow``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response

from crawler.politeness.config import PolitenessConfig
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["MetaRobotsMiddleware", "PageDirectives", "page_directives"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageDirectives:
    nofollow: bool = False
    noindex: bool = False


def _apply(tokens: Iterable[str], found: set[str]) -> None:
    for token in tokens:
        token = token.strip().lower()
        if token == "none":
            found.update({"noindex", "nofollow"})
        elif token in ("noindex", "nofollow"):
            found.add(token)


def header_directives(values: Iterable[str], product: str) -> set[str]:
    """Directives of ``X-Robots-Tag`` values meant for everyone or for ``product``."""
    found: set[str] = set()
    product = product.lower()
    for value in values:
        head, sep, rest = value.partition(":")
        # "googlebot: noindex" is addressed; "noindex, nofollow" or "unavailable_after: <date>" not
        if sep and " " not in head.strip() and head.strip().lower() not in ("unavailable_after",):
            if head.strip().lower() == product:
                _apply(rest.split(","), found)
            continue
        _apply(value.split(","), found)
    return found


def page_directives(response: Response, product: str) -> PageDirectives:
    found = header_directives(
        (v.decode("latin-1") for v in response.headers.getlist(b"X-Robots-Tag")), product
    )
    if isinstance(response, HtmlResponse):
        for meta in response.xpath("//meta[@name and @content]"):
            name = (meta.attrib.get("name") or "").strip().lower()
            if name in ("robots", product.lower()):
                _apply((meta.attrib.get("content") or "").split(","), found)
    return PageDirectives(nofollow="nofollow" in found, noindex="noindex" in found)


class MetaRobotsMiddleware:
    """Spider middleware: drops requests from nofollow pages and items from noindex ones."""

    def __init__(self, crawler: Crawler, config: PolitenessConfig) -> None:
        self.config = config
        if not self.config.obey_meta_robots:
            raise NotConfigured("ROBOTS_META_OBEY is off")
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MetaRobotsMiddleware:
        return cls(crawler, part(crawler, PolitenessConfig))

    def _directives(self, response: Response) -> PageDirectives:
        directives = page_directives(response, self.config.product)
        assert self.stats is not None
        if directives.nofollow:
            self.stats.inc_value("politeness/pages/nofollow")
        if directives.noindex:
            self.stats.inc_value("politeness/pages/noindex")
        return directives

    def _keep(self, entry: Any, directives: PageDirectives) -> bool:
        """The policy: requests go unless the page says nofollow; items unless noindex."""
        assert self.stats is not None
        if isinstance(entry, Request):
            if directives.nofollow:
                self.stats.inc_value("politeness/dropped/nofollow_requests")
                return False
            return True
        if directives.noindex and self.config.noindex_drops_items:
            self.stats.inc_value("politeness/dropped/noindex_items")
            return False
        return True

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        directives = self._directives(response)
        for entry in result:
            if self._keep(entry, directives):
                yield entry

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        directives = self._directives(response)
        async for entry in result:
            if self._keep(entry, directives):
                yield entry
