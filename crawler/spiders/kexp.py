"""``scrapy crawl kexp``: KEXP's radio shows and the tracks they played, from its public API.

KEXP publishes every play of its programs at ``api.kexp.org/v2`` with no key. It publishes
no rate rules, so its requests follow robots.txt and the polite default pace like any
host's. Reading the JSON is :mod:`crawler.sites.kexp`'s job; this spider only chooses URLs
and follows the API's ``next`` links, rebased onto ``KEXP_API_URL`` so that a mirror (or a
test server) serves every page.

Requests: one page of shows per 100 shows (``-a since``/``until``) or one lookup per show
(``-a show``), then one page of plays per 100 plays of each show.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.normalize import is_date
from crawler.sites import kexp
from crawler.spiders._arguments import SpiderArgumentError, check_arguments
from crawler.spiders._base import ApiSpider


def _date(name: str, value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value is not None and not is_date(value, day=True):
        raise SpiderArgumentError(f"-a {name}={value}: give a date as YYYY-MM-DD")
    return value


class KexpSpider(ApiSpider):
    """Yields one ``DJSet`` per show.

    Arguments: ``show`` (show ids, comma-separated), or ``since`` / ``until`` (dates,
    YYYY-MM-DD: the shows that started between them, both included). Setting:
    ``KEXP_API_URL``.
    """

    name = "kexp"
    api_setting = "KEXP_API_URL"
    api_label = "KEXP"

    def __init__(
        self,
        show: str | None = None,
        since: str | None = None,
        until: str | None = None,
        **kwargs: Any,
    ) -> None:
        check_arguments(type(self), kwargs)
        super().__init__(**kwargs)
        self.shows = [s.strip() for s in (show or "").split(",") if s.strip()]
        bad = [s for s in self.shows if not s.isdigit()]
        if bad:
            raise SpiderArgumentError(f"-a show={','.join(bad)}: a KEXP show id is a number")
        self.since = _date("since", since)
        self.until = _date("until", until)
        self.seen: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        if not (self.shows or self.since or self.until):
            self.logger.error(
                "Nothing to crawl: give -a show=ID[,ID] or -a since=YYYY-MM-DD [-a until=...]"
            )
            return
        for show in self.shows:
            yield self._get(kexp.show_url(self.api, show), self.parse_show)
        if self.since or self.until:
            yield self._get(kexp.shows_url(self.api, self.since, self.until), self.parse_shows)

    def _next(self, page: dict[str, Any]) -> str | None:
        link = page.get("next")
        return kexp.rebase(link, self.api) if isinstance(link, str) and link else None

    def _plays(self, show: dict[str, Any]) -> scrapy.Request | None:
        show_id = str(show.get("id") or "")
        if not show_id or show_id in self.seen:
            return None
        self.seen.add(show_id)
        return self._get(kexp.plays_url(self.api, show_id), self.parse_plays, show=show, plays=[])

    def parse_show(self, response: Response) -> Iterator[Any]:
        show = self._json(response)
        if show is not None:
            request = self._plays(show)
            if request is not None:
                yield request

    def parse_shows(self, response: Response) -> Iterator[Any]:
        page = self._json(response)
        if page is None:
            return
        for show in page.get("results") or []:
            if isinstance(show, dict):
                request = self._plays(show)
                if request is not None:
                    yield request
        following = self._next(page)
        if following and page.get("results"):
            yield self._get(following, self.parse_shows)

    def parse_plays(
        self, response: Response, show: dict[str, Any], plays: list[dict[str, Any]]
    ) -> Iterator[Any]:
        page = self._json(response)
        if page is None:
            return
        show_id = show.get("id")
        results = [p for p in page.get("results") or [] if isinstance(p, dict)]
        # A page of another show's plays (a filter the server ignored) is not this show's.
        plays = plays + [p for p in results if p.get("show") in (None, show_id)]
        following = self._next(page)
        if following and results:
            yield self._get(following, self.parse_plays, show=show, plays=plays)
            return
        try:
            djset = kexp.show_set(show, plays)
        except (ValueError, TypeError, AttributeError) as exc:
            self.crawler.stats.inc_value("kexp/unreadable")
            self.logger.warning("KEXP show %s could not be read: %r", show_id, exc)
            return
        if not djset.tracks:  # a show whose plays are not (yet) listed: nothing to keep
            self.crawler.stats.inc_value("kexp/shows_without_plays")
            return
        self.crawler.stats.inc_value("kexp/shows")
        yield djset
