"""The page class of one site: its HTML in, a ``DJSet`` out (no Scrapy, testable offline)."""

from __future__ import annotations

from parsel import Selector

from crawler.items import DJSet, TrackEntry


class ShowPage:
    """A radio show's page: the title in ``<h1>``, the DJ in ``.dj``, one ``<li>`` a track."""

    def __init__(self, url: str, html: str) -> None:
        self.url = url
        self.page = Selector(text=html)

    def dj_set(self) -> DJSet | None:
        title = self.page.css("h1::text").get()
        lines = self.page.css("ol.tracks li::text").getall()
        if not title or not lines:
            return None  # not a show page
        return DJSet(
            source="radioshows",
            url=self.url,
            title=title.strip(),
            djs=[dj.strip() for dj in self.page.css(".dj::text").getall()],
            tracks=[TrackEntry(position=n, raw=line) for n, line in enumerate(lines, 1)],
        )
