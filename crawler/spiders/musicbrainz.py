"""``scrapy crawl musicbrainz``: DJ-mix releases from the MusicBrainz web service (``/ws/2``).

MusicBrainz invites programs to read its data (CC0) through the web service at about one
request per second per client; every request here goes through the politeness stack like
any other (robots.txt with the site terms' documented permission for ``/ws/2/``, the
``min_delay`` of 1 s, Retry-After on 503). The spider only chooses URLs; reading the JSON
is :mod:`crawler.sites.musicbrainz`'s job.

Requests per release: one lookup (``-a release``, ``-a series`` members, search hits), or
one browse page per 25 releases (``-a artist``, release groups of a series).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.sites import musicbrainz as mb
from crawler.spiders._arguments import check_arguments
from crawler.spiders._base import ApiSpider


def _mbids(value: str | None) -> list[str]:
    return [v.strip().lower() for v in (value or "").split(",") if v.strip()]


class MusicBrainzSpider(ApiSpider):
    """Yields one ``DJSet`` per release (per medium when a release holds several mixes).

    Arguments: ``release`` (MBIDs, comma-separated: imported whatever their type),
    ``artist`` (MBIDs: the DJ-mix releases credited to each), ``series`` (MBIDs: the
    DJ-mix releases of a series, such as a radio show's or a label's mix series) and
    ``query`` (a release search, restricted to DJ-mix releases). Setting:
    ``MUSICBRAINZ_API_URL``.
    """

    name = "musicbrainz"
    api_setting = "MUSICBRAINZ_API_URL"
    api_label = "MusicBrainz"

    def __init__(
        self,
        release: str | None = None,
        artist: str | None = None,
        series: str | None = None,
        query: str | None = None,
        **kwargs: Any,
    ) -> None:
        check_arguments(type(self), kwargs)
        super().__init__(**kwargs)
        self.releases = _mbids(release)
        self.artists = _mbids(artist)
        self.series = _mbids(series)
        self.query = (query or "").strip() or None
        self.seen: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        bad = [m for m in self.releases + self.artists + self.series if not mb.is_mbid(m)]
        for mbid in bad:
            self.logger.error("Not a MusicBrainz identifier (MBID): %r", mbid)
        if not (self.releases or self.artists or self.series or self.query):
            self.logger.error(
                "Nothing to crawl: give -a release=MBID[,MBID], -a artist=MBID, "
                "-a series=MBID or -a query=TEXT"
            )
            return
        for mbid in self.releases:
            if mbid not in bad:
                yield self._lookup(mbid, dj_mix_only=False)
        for mbid in self.artists:
            if mbid not in bad:
                yield self._browse("artist", mbid, 0)
        for mbid in self.series:
            if mbid not in bad:
                yield self._get(mb.series_url(self.api, mbid), self.parse_series)
        if self.query:
            yield self._search(0)

    # -- requests -------------------------------------------------------------------------
    def _lookup(self, mbid: str, dj_mix_only: bool) -> scrapy.Request:
        return self._get(
            mb.release_url(self.api, mbid), self.parse_release, dj_mix_only=dj_mix_only
        )

    def _browse(self, entity: str, mbid: str, offset: int) -> scrapy.Request:
        url = mb.browse_releases_url(self.api, entity, mbid, offset)
        return self._get(url, self.parse_browse, entity=entity, mbid=mbid, offset=offset)

    def _search(self, offset: int) -> scrapy.Request:
        assert self.query is not None
        url = mb.search_releases_url(self.api, self.query, offset)
        return self._get(url, self.parse_search, offset=offset)

    # -- answers --------------------------------------------------------------------------
    def _sets(self, release: dict[str, Any], dj_mix_only: bool) -> Iterator[Any]:
        mbid = release.get("id")
        if not mbid or mbid in self.seen:
            return
        if dj_mix_only and not mb.is_dj_mix(release):
            self.crawler.stats.inc_value("musicbrainz/not_dj_mix")
            return
        self.seen.add(mbid)
        try:
            sets = mb.release_sets(release)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            # An answer of an unexpected shape: that release is skipped, said in the log.
            self.crawler.stats.inc_value("musicbrainz/unreadable")
            self.logger.warning("MusicBrainz release %s could not be read: %r", mbid, exc)
            return
        self.crawler.stats.inc_value("musicbrainz/releases")
        yield from sets

    def parse_release(self, response: Response, dj_mix_only: bool) -> Iterator[Any]:
        release = self._json(response)
        if release is not None:
            yield from self._sets(release, dj_mix_only)

    def parse_browse(
        self, response: Response, entity: str, mbid: str, offset: int
    ) -> Iterator[Any]:
        page = self._json(response)
        if page is None:
            return
        for release in page.get("releases") or []:
            yield from self._sets(release, dj_mix_only=True)
        following = mb.next_offset(page, "release", offset)
        if following is not None:
            yield self._browse(entity, mbid, following)

    def parse_search(self, response: Response, offset: int) -> Iterator[Any]:
        page = self._json(response)
        if page is None:
            return
        for hit in page.get("releases") or []:
            if hit.get("release-group") and not mb.is_dj_mix(hit):
                # The hit says what it is: a release that is no DJ mix costs no lookup.
                self.crawler.stats.inc_value("musicbrainz/not_dj_mix")
                continue
            # Search hits carry no tracklists: each one is looked up (1 request a release).
            if hit.get("id") and hit["id"] not in self.seen:
                yield self._lookup(hit["id"], dj_mix_only=True)
        following = mb.next_offset(page, "release", offset)
        if following is not None:
            yield self._search(following)

    def parse_series(self, response: Response) -> Iterator[Any]:
        series = self._json(response)
        if series is None:
            return
        releases, groups = mb.series_members(series)
        for mbid in releases:
            yield self._lookup(mbid, dj_mix_only=True)
        for mbid in groups:
            yield self._browse("release-group", mbid, 0)
