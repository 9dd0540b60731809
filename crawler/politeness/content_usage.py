"""Spider middleware: the AI-use preferences that applied to a page, kept with its sets.

Nothing is dropped here: preferences about AI training and use say what may be done with
the data later, not whether it may be fetched, so the crawler keeps them with every set
(``sets.ai_use``) and page (``pages.ai_use``), shows them, and ``crawler export
--respect-ai-use`` honours them. The page's headers and its host's robots.txt lines are
read as :mod:`crawler.politeness.aiuse` says.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy.utils.httpobj import urlparse_cached

from crawler.items import DJSet, mark_provenance
from crawler.politeness.aiuse import AI_USE_META, AiUse, ai_use_for
from crawler.politeness.robots import RobotsPolicy, origin_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["ContentUsageMiddleware", "page_ai_use"]


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def page_ai_use(response: Response, robots: RobotsPolicy | None) -> AiUse:
    """The preferences of one fetched page: its headers, its host's robots.txt lines."""
    rules = robots.rules_for(origin_of(response.request)) if robots and response.request else None
    return ai_use_for(
        urlparse_cached(response).path or "/",
        _header(response, b"content-usage"),
        _header(response, b"content-signal"),
        rules.usage if rules is not None else (),
        rules.signals if rules is not None else (),
        tdm_reserved=(_header(response, b"tdm-reservation") or "").strip() == "1",
    )


class ContentUsageMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContentUsageMiddleware:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        ai_use: AiUse | None = None
        if response.url.startswith("http"):
            robots = self.crawler.get_downloader_middleware(RobotsPolicy)
            ai_use = page_ai_use(response, robots)
            response.meta[AI_USE_META] = ai_use or None
        reserved = ai_use is not None and ai_use.get("train_ai") is False
        async for entry in result:
            if ai_use and isinstance(entry, DJSet):
                mark_provenance(entry, ai_use=ai_use)
                if reserved:
                    assert self.crawler.stats is not None
                    self.crawler.stats.inc_value("politeness/sets/ai_train_reserved")
            yield entry
