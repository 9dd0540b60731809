"""The sets of the pages in a web archive, through the same page classes as a crawl.

A set's URL is the archived URL (the page's, as fetched), its capture date the record's
``WARC-Date``, its AI-use preferences those recorded with it. Pages are read one at a
time (flat memory); a page the archive holds twice (two crawls) is read twice, the later
capture last, so the store ends with it. With ``mark_gone``, an archived 404/410 marks
the page's stored sets gone, as a crawl's incremental middleware does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.archive.reader import ArchivedResponse, ai_use_recorded, archived_responses
from crawler.items import DJSet, mark_provenance
from crawler.sites import extract_sets
from crawler.sites.saved import decode_html

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["ArchiveReading", "sets_of"]

logger = logging.getLogger(__name__)

_GONE = (404, 410)


def sets_of(response: ArchivedResponse) -> list[DJSet]:
    """The sets on an archived page, decoded as Scrapy decodes a live one (HTTP charset,
    then BOM and meta, w3lib), each with its capture date and AI-use preferences."""
    if not response.is_page:
        return []
    text = decode_html(response.body, response.content_type)
    sets = extract_sets(response.url, text)
    ai_use = ai_use_recorded(response) if sets else None
    for djset in sets:
        mark_provenance(djset, response.captured_at, ai_use)
    return sets


def _on_site(url: str, site: str | None) -> bool:
    if not site:
        return True
    host = (urlsplit(url).hostname or "").lower()
    site = site.lower().rstrip(".")
    return host == site or host.endswith("." + site)


class ArchiveReading:
    """One web archive read for its sets, counted in the crawl's stats."""

    def __init__(self, crawler: Crawler, path: Path, site: str | None, mark_gone: bool) -> None:
        self.crawler = crawler
        self.path = path
        self.site = site
        self.mark_gone = mark_gone
        self.database_url: str | None = crawler.settings.get("DATABASE_URL")
        self.max_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE") or 50 * 1024 * 1024

    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    def sets(self) -> Iterator[DJSet]:
        for response in archived_responses(self.path, self.max_bytes):
            if not _on_site(response.url, self.site):
                continue
            if response.status in _GONE and self.mark_gone:
                self._gone(response)
                continue
            if not response.is_page:
                continue
            self._inc("archive/pages_read")
            sets = sets_of(response)
            self._inc("import/sets", len(sets))
            yield from sets

    def _gone(self, response: ArchivedResponse) -> None:
        if not self.database_url:
            return
        from crawler.store import session_factory
        from crawler.store.sets import mark_sets_gone

        with session_factory(self.database_url).begin() as session:
            when = response.captured_at.astimezone(UTC).replace(tzinfo=None)
            gone = mark_sets_gone(session, response.url, when)
        if gone:
            self._inc("incremental/sets_gone", gone)
            logger.info("%d set(s) gone from %s (%d)", gone, response.url, response.status)
