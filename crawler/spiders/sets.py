"""``scrapy crawl sets``: the generic spider for sites that publish schema.org tracklists."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.incremental import LASTMOD, sitemap_body
from crawler.origins import url_origin
from crawler.politeness.robots import RobotsPolicy
from crawler.render.decision import page_depth, render_request
from crawler.sites import extract_sets
from crawler.spiders._arguments import SpiderArgumentError, check_arguments
from crawler.spiders._base import PoliteSpider

ROBOTS_MAX_BYTES = 2 * 1024 * 1024
"""robots.txt read for its sitemaps when not obeyed: RFC 9309 parsers read 500 KiB."""
SITEMAP_META = {"download_maxsize": 50 * 1024 * 1024}
"""The sitemaps protocol's own limit (uncompressed), above DOWNLOAD_MAXSIZE."""


def _split_urls(value: str | None) -> list[str]:
    return [u.strip() for u in (value or "").split(",") if u.strip()]


class SetsSpider(PoliteSpider):
    """Fetches the start URLs, follows links on the same hosts up to ``max_depth``, and
    yields one ``DJSet`` per playlist found (via the page-class registry).

    Arguments: ``start_urls`` (comma-separated), ``urls_file`` (one URL per line, ``#``
    comments), ``max_depth`` (default 3), ``sitemaps`` (default on: read the sitemaps that
    the start hosts' robots.txt names, and their ``lastmod``; ``-a sitemaps=0`` turns it off).
    """

    name = "sets"
    crawl: str | None = None
    """``-a crawl=NAME``: the crawl's name in a cluster (crawler/cluster/)."""

    def __init__(
        self,
        start_urls: str | list[str] | None = None,
        urls_file: str | None = None,
        max_depth: int | str = 3,
        sitemaps: bool | str = True,
        **kwargs: Any,
    ) -> None:
        check_arguments(type(self), kwargs)
        super().__init__(**kwargs)
        urls = list(start_urls) if isinstance(start_urls, list) else _split_urls(start_urls)
        if urls_file:
            lines = Path(urls_file).read_text(encoding="utf-8").splitlines()
            urls += [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        self.start_urls = urls
        self.max_depth = int(max_depth)
        self.hosts = {urlsplit(u).hostname for u in urls}
        self.links = LinkExtractor(deny_extensions=None, unique=True)
        self.read_sitemaps = str(sitemaps).strip().lower() not in {"0", "false", "no", "off"}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SetsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # A cluster worker's seeds may all come from the shared frontier.
        if not spider.start_urls and not crawler.settings.get("REDIS_URL"):
            raise SpiderArgumentError(
                "nothing to crawl: give -a start_urls=URL[,URL...] or -a urls_file=PATH"
            )
        return spider

    async def start(self) -> AsyncIterator[Any]:
        policy = self.crawler.get_downloader_middleware(RobotsPolicy)
        if not self.read_sitemaps or policy is None:
            for url in self.start_urls:
                yield scrapy.Request(url, callback=self.parse)
            if self.read_sitemaps:  # ROBOTSTXT_OBEY off: nobody else reads robots.txt
                for origin in dict.fromkeys(map(url_origin, self.start_urls)):
                    yield scrapy.Request(
                        f"{origin}/robots.txt",
                        callback=self.parse_robots,
                        priority=1,
                        meta={"download_maxsize": ROBOTS_MAX_BYTES},
                    )
            return

        # The robots.txt the politeness layer fetches anyway (one request per host; a start
        # page waits for it in any case): its Sitemap lines, origin by origin as each file
        # comes in, then the origin's start pages. Sitemaps first (and priority 1), so that
        # their lastmod is known before the start page's links (a recrawl's stored links)
        # ask for the same pages without it.
        starts: dict[str, list[str]] = {}
        for url in self.start_urls:
            starts.setdefault(url_origin(url), []).append(url)

        async def sitemaps_of(origin: str) -> tuple[str, list[str]]:
            await policy.rules_async(scrapy.Request(f"{origin}/robots.txt"))
            return origin, policy.sitemaps(origin)

        for pending in asyncio.as_completed([sitemaps_of(o) for o in starts]):
            origin, sitemaps = await pending
            for url in sitemaps:
                if urlsplit(url).hostname in self.hosts:
                    yield scrapy.Request(
                        url, callback=self.parse_sitemap, priority=1, meta=SITEMAP_META
                    )
            for url in starts[origin]:
                yield scrapy.Request(url, callback=self.parse)

    def parse_robots(self, response: Response) -> Iterator[Any]:
        """The sitemaps a start host's robots.txt names (on the start hosts only), when
        robots.txt is not obeyed and so not read by the politeness layer."""
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if urlsplit(url).hostname in self.hosts:
                yield scrapy.Request(
                    url, callback=self.parse_sitemap, priority=1, meta=SITEMAP_META
                )

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """Sitemap indexes lead to sitemaps; sitemaps to pages, each with its ``lastmod``
        (the incremental middleware skips pages not changed since they were fetched)."""
        body = sitemap_body(response)
        if body is None:
            self.logger.warning("Not a sitemap: %s", response.url)
            return
        sitemap = Sitemap(body)
        for entry in sitemap:
            url = entry.get("loc")
            if not url or urlsplit(url).hostname not in self.hosts:
                continue
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(
                    url, callback=self.parse_sitemap, priority=1, meta=SITEMAP_META
                )
            elif sitemap.type == "urlset":
                yield scrapy.Request(url, callback=self.parse, meta={LASTMOD: entry.get("lastmod")})

    def parse(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        sets = extract_sets(response.url, response.selector, response.text)
        yield from sets
        # JavaScript rendering (crawler/render/): where the site's terms say render_js = true
        # and the plain HTML holds no tracklist, the same page through the browser, which is
        # handed this response instead of asking the site for the page again.
        if (rendered := render_request(self.crawler, response, bool(sets))) is not None:
            yield rendered
        if page_depth(response) >= self.max_depth:
            return
        followed, max_links = 0, self.settings.getint("MAX_LINKS_PER_PAGE")
        links = self.links.extract_links(response)
        for n, link in enumerate(links):
            if urlsplit(link.url).hostname not in self.hosts:
                continue
            if link.nofollow:  # rel="nofollow": the page asked us not to follow this link
                self.crawler.stats.inc_value("politeness/nofollow_links")
                continue
            if followed >= max_links:
                left = len(links) - n
                self.crawler.stats.inc_value("crawl/links_left_out", left)
                self.logger.warning(
                    "%s has more links than MAX_LINKS_PER_PAGE (%d): %d left out",
                    response.url, max_links, left,
                )  # fmt: skip
                return
            followed += 1
            yield response.follow(link.url, callback=self.parse)

    # -- cluster mode (crawler/cluster/): seeds may come from the shared frontier ----------
    def add_seed_host(self, host: str) -> None:
        """A seed fed by ``crawler enqueue`` or another worker: follow links on its host too.
        Called by the cluster scheduler; without ``REDIS_URL`` nothing calls it."""
        self.hosts.add(host)
