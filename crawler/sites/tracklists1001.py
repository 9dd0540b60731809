"""Saved 1001tracklists pages.

1001tracklists' terms do not allow crawling, so their sets come in only as pages users
saved themselves; ``domains`` is set so the registry recognizes their URLs, and the
politeness layer keeps the live crawler away from them.

Markup (schema.org microdata): ``div#tlTab`` is the MusicPlaylist (name, datePublished,
genre, author metas); each ``div.tlpItem`` is a row with a ``span.trackValue`` line,
a rendered cue in ``div.cue`` (``input[id$=_cue_seconds]`` holds the same in seconds,
0 when unknown), "w/" rows (class ``con``) played together with the row above, and
hidden ``tlpSubTog`` rows listing the parts of a mashup, which are not played entries.
"""

from __future__ import annotations

import re
from typing import ClassVar

from parsel import Selector

from crawler.items import DJSet, TrackEntry
from crawler.sites._text import clean, clock_seconds, iso_date
from crawler.sites.base import SitePage

_DATE_SUFFIX = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*$")


class Tracklists1001Page(SitePage):
    source: ClassVar[str] = "1001tracklists"
    domains: ClassVar[tuple[str, ...]] = ("1001tracklists.com",)
    markers: ClassVar[tuple[str, ...]] = ("tltab",)

    @classmethod
    def detect(cls, selector: Selector) -> bool:
        return bool(selector.xpath("//div[@id='tlTab']//div[contains(@class,'tlpItem')]"))

    def sets(self) -> list[DJSet]:
        tabs = self.selector.xpath("//div[@id='tlTab']")
        if not tabs:
            return []
        tab = tabs[0]
        title = clean(tab.xpath("./meta[@itemprop='name']/@content").get()) or clean(
            self.selector.xpath("//title/text()").get()
        )
        names = (
            tab.xpath("./meta[@itemprop='author']/@content").getall()
            or self.selector.xpath("//h1//a[contains(@href,'/dj/')]/text()").getall()
        )
        djs = [d for d in (clean(x) for x in names) if d]
        tracks = [
            t
            for t in (self._track(row) for row in tab.xpath(".//div[contains(@class,'tlpItem')]"))
            if t is not None
        ]
        for position, track in enumerate(tracks, 1):
            track.position = position
        return [
            DJSet(
                source=self.source,
                url=self.url,
                title=title,
                djs=djs,
                event=_event(title, djs),
                date=iso_date(tab.xpath("./meta[@itemprop='datePublished']/@content").get())
                or iso_date(title),
                genres=[
                    g
                    for g in (
                        clean(x) for x in tab.xpath("./meta[@itemprop='genre']/@content").getall()
                    )
                    if g
                ],
                tracks=tracks,
            )
        ]

    @staticmethod
    def _track(row: Selector) -> TrackEntry | None:
        classes = (row.attrib.get("class") or "").split()
        if "tlpSubTog" in classes:
            return None  # a part of the mashup above, not a played entry
        raw = clean(row.xpath("string(.//span[contains(@class,'trackValue')])").get())
        if raw is None:
            raw = clean(row.xpath(".//meta[@itemprop='name']/@content").get())
        if raw is None:
            return None
        edit = clean(row.xpath("string(.//span[contains(@class,'trackEditData')])").get())
        if edit:
            raw = f"{raw} {edit}"
        number = clean(row.xpath("string(.//span[contains(@id,'_tracknumber_value')])").get())
        label = clean(row.xpath(".//meta[@itemprop='publisher']/@content").get()) or clean(
            row.xpath("string(.//span[contains(@class,'trackLabel')])").get()
        )
        return TrackEntry(
            cue_s=_cue(row),
            label=label,
            with_previous="con" in classes or (number or "").lower().startswith("w/"),
            raw=raw,
        )


def _cue(row: Selector) -> int | None:
    shown = clock_seconds(clean(row.xpath("string(.//div[contains(@class,'cue')])").get()))
    if shown is not None:
        return shown
    try:
        seconds = int(float(row.xpath(".//input[contains(@id,'_cue_seconds')]/@value").get("")))
    except ValueError:
        return None
    return seconds if seconds > 0 else None  # 0 is also the value of "no cue"


def _event(title: str | None, djs: list[str]) -> str | None:
    """The event part of "DJ - Event, Venue YYYY-MM-DD" or "DJ @ Event ..." titles."""
    if not title:
        return None
    for separator in (" @ ", " - "):
        if separator in title:
            rest = title.split(separator, 1)[1]
            return clean(_DATE_SUFFIX.sub("", rest))
    return None
