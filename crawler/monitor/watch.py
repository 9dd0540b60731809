"""Counts, per site, the pages expected to hold a set and those that gave none.

Expected: every HTML page of a host that has a site-specific page class, and on any site
the pages whose set is in the store (they yielded one last time). Which of them gave no
set, or only sets without tracks, is read from the spider's own output, before the
politeness middlewares drop the sets of noindex or TDM-reserved pages: this measures
extraction, not policy. A page sent to the browser (crawler/render/) is judged by its
rendered response. The decision from the counts is in crawler/monitor/extraction.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import TextResponse
from sqlalchemy import select

from crawler.items import DJSet
from crawler.monitor.extraction import EMPTY, PAGES, site_of
from crawler.origins import origin_prefix
from crawler.render.decision import RENDER_META
from crawler.sites import PAGE_CLASSES
from crawler.store.preload import ReadAllOnce

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["ExtractionWatch", "expects_set", "has_site_class"]

_LOAD_ALL_MAX = 100_000

logger = logging.getLogger(__name__)


def has_site_class(host: str) -> bool:
    """Whether a site-specific page class (one with ``domains``) handles ``host``."""
    return any(cls.domains and cls.handles_host(host) for cls in PAGE_CLASSES)


def expects_set(host: str, yielded_before: bool) -> bool:
    return yielded_before or has_site_class(host)


def _is_html(response: Response) -> bool:
    if not isinstance(response, TextResponse):
        return False
    kind = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
    return kind in (b"text/html", b"application/xhtml+xml") or (
        not kind and response.text.lstrip()[:1] == "<"
    )


class ExtractionWatch:
    """Spider middleware, next to the spider (order 900)."""

    def __init__(self, crawler: Crawler) -> None:
        if crawler.settings.getint("EXTRACTION_ALERT_MIN_PAGES") <= 0:
            raise NotConfigured("EXTRACTION_ALERT_MIN_PAGES is 0: no extraction alarm")
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.database_url: str | None = crawler.settings.get("DATABASE_URL")
        self._known: dict[str, frozenset[str]] = {}
        """origin -> URLs (fragment removed) of its pages whose set is in the store."""
        self._stored_sets = ReadAllOnce(self._load_all, self._load, _LOAD_ALL_MAX, frozenset)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionWatch:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        if not (200 <= response.status < 300 and _is_html(response)):
            async for output in result:
                yield output
            return
        with_tracks = 0
        rendering = False
        async for output in result:
            if isinstance(output, DJSet):
                with_tracks += bool(output.tracks)
            elif isinstance(output, Request) and output.meta.get(RENDER_META):
                rendering = True  # the same page again, through the browser: judged then
            yield output
        if not rendering:
            self._count(response.url, empty=with_tracks == 0)

    def _count(self, url: str, empty: bool) -> None:
        host = urlsplit(url).hostname or ""
        if not expects_set(host, urldefrag(url).url in self._stored(url)):
            return
        site = site_of(host)
        self.stats.inc_value(PAGES + site)
        if empty:
            self.stats.inc_value(EMPTY + site)

    def _stored(self, url: str) -> frozenset[str]:
        """The pages of ``url``'s origin whose set is in the store (one query per origin)."""
        prefix = origin_prefix(url)
        if prefix not in self._known:
            self._known[prefix] = self._stored_sets.take(prefix)
        return self._known[prefix]

    def _load_all(self, limit: int) -> dict[str, frozenset[str]] | None:
        if not self.database_url:
            return None
        from crawler.store import session_factory
        from crawler.store.models import DJSetRow

        stmt = select(DJSetRow.url).where(DJSetRow.gone_at.is_(None)).limit(limit + 1)
        try:
            with session_factory(self.database_url)() as session:
                urls = list(session.scalars(stmt))
        except Exception:  # asked per origin, where the warning is given
            return None
        if len(urls) > limit:
            return None
        by_origin: dict[str, set[str]] = {}
        for url in urls:
            by_origin.setdefault(origin_prefix(url), set()).add(urldefrag(url).url)
        return {prefix: frozenset(found) for prefix, found in by_origin.items()}

    def _load(self, origin: str) -> frozenset[str]:
        if not self.database_url:
            return frozenset()
        from crawler.store import session_factory
        from crawler.store.models import DJSetRow

        stmt = select(DJSetRow.url).where(
            DJSetRow.url.startswith(origin, autoescape=True), DJSetRow.gone_at.is_(None)
        )
        try:
            with session_factory(self.database_url)() as session:
                return frozenset(urldefrag(u).url for u in session.scalars(stmt))
        except Exception:  # the store pipeline reports an unreachable store; here, no history
            logger.warning("Extraction health: could not read the stored sets of %s", origin)
            return frozenset()
