"""``scrapy crawl setlistfm``: setlists from the setlist.fm API, with your API key.

setlist.fm gives its setlists to programs with a key (free for non-commercial use, with
attribution), at 2 requests a second and 1,440 a day per key. Those rules are its site
terms (``crawler/politeness/sites.toml``): the per-host clock keeps the pace, and the daily
quota, kept in the store, carries over from one run to the next. The key goes in the
``x-api-key`` header and nowhere else: not in a URL, a log line, the store or a feed.
Reading the JSON is :mod:`crawler.sites.setlistfm`'s job.

Requests: one per page of 20 setlists (``-a artist``, ``-a venue``), one per setlist
(``-a setlist``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.sites import setlistfm as sfm
from crawler.sites.musicbrainz import is_mbid
from crawler.spiders._arguments import SpiderArgumentError, check_arguments
from crawler.spiders._base import ApiSpider

KEY_SETTING = "SETLISTFM_API_KEY"


def _ids(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class SetlistFmSpider(ApiSpider):
    """Yields one ``DJSet`` per setlist.

    Arguments: ``artist`` (MusicBrainz artist MBIDs, comma-separated), ``venue``
    (setlist.fm venue ids), ``setlist`` (setlist ids). Settings: ``SETLISTFM_API_KEY``
    (required), ``SETLISTFM_API_URL``.
    """

    name = "setlistfm"
    api_setting = "SETLISTFM_API_URL"
    api_label = "setlist.fm"

    def __init__(
        self,
        artist: str | None = None,
        venue: str | None = None,
        setlist: str | None = None,
        **kwargs: Any,
    ) -> None:
        check_arguments(type(self), kwargs)
        super().__init__(**kwargs)
        self.artists = [a.lower() for a in _ids(artist)]
        bad = [a for a in self.artists if not is_mbid(a)]
        if bad:
            raise SpiderArgumentError(
                f"-a artist={','.join(bad)}: give the artist's MusicBrainz id (MBID)"
            )
        self.venues = _ids(venue)
        self.setlists = _ids(setlist)
        self._key = ""
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SetlistFmSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        key = str(crawler.settings.get(KEY_SETTING) or "").strip()
        if not key:
            raise SpiderArgumentError(
                f"{KEY_SETTING} is not set: setlist.fm answers only requests with an API key "
                "(apply at https://www.setlist.fm/settings/api)"
            )
        spider._key = key
        return spider

    async def start(self) -> AsyncIterator[Any]:
        if not (self.artists or self.venues or self.setlists):
            self.logger.error(
                "Nothing to crawl: give -a artist=MBID[,MBID], -a venue=ID or -a setlist=ID"
            )
            return
        for setlist_id in self.setlists:
            yield self._get(sfm.setlist_url(self.api, setlist_id), self.parse_setlist)
        for mbid in self.artists:
            yield self._page("artist", mbid, 1)
        for venue in self.venues:
            yield self._page("venue", venue, 1)

    def api_headers(self) -> dict[str, str]:
        return {**super().api_headers(), "x-api-key": self._key}

    def _page(self, what: str, value: str, page: int) -> scrapy.Request:
        build = sfm.artist_setlists_url if what == "artist" else sfm.venue_setlists_url
        url = build(self.api, value, page)
        return self._get(url, self.parse_page, what=what, value=value, page=page)

    def _set(self, setlist: dict[str, Any]) -> Iterator[Any]:
        setlist_id = str(setlist.get("id") or "")
        if not setlist_id or setlist_id in self.seen:
            return
        self.seen.add(setlist_id)
        try:
            djset = sfm.setlist_set(setlist)
        except (ValueError, TypeError, AttributeError) as exc:
            self.crawler.stats.inc_value("setlistfm/unreadable")
            self.logger.warning("setlist %s could not be read: %r", setlist_id, exc)
            return
        self.crawler.stats.inc_value("setlistfm/setlists")
        yield djset

    def parse_setlist(self, response: Response) -> Iterator[Any]:
        setlist = self._json(response)
        if setlist is not None:
            yield from self._set(setlist)

    def parse_page(self, response: Response, what: str, value: str, page: int) -> Iterator[Any]:
        answer = self._json(response)
        if answer is None:
            return
        for setlist in answer.get("setlist") or []:
            if isinstance(setlist, dict):
                yield from self._set(setlist)
        if page == 1:  # the first page says how many there are: ask for the rest at once
            for following in range(2, sfm.page_count(answer) + 1):
                yield self._page(what, value, following)
