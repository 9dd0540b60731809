"""MixesDB pages (a MediaWiki): one mix per page, its tracklist in wiki lists.

The page title reads "YYYY-MM-DD - DJ[, DJ] @ Venue" or "YYYY-MM-DD - DJ - Show"; the
tracklist follows the "Tracklist" heading as a numbered list (``ol > li``) or as
``div.list-track`` lines, which may start with a cue in brackets: ``[034]`` or ``[34]``
are minutes (MixesDB's convention), ``[1:02:03]`` a clock time. "?" marks an unknown
track and stays in ``raw`` for the normalizer.
"""

from __future__ import annotations

import re
from typing import ClassVar

from parsel import Selector

from crawler.items import DJSet, TrackEntry
from crawler.sites._text import clean, clock_seconds, iso_date
from crawler.sites.base import SitePage

_CUE = re.compile(r"^\[\s*([\d:]+)\s*\]\s*")
_TITLE_DATE = re.compile(r"^\s*\d{4}(?:-\d{2}){0,2}\s+-\s+")


class MixesDBPage(SitePage):
    source: ClassVar[str] = "mixesdb"
    domains: ClassVar[tuple[str, ...]] = ("mixesdb.com",)
    markers: ClassVar[tuple[str, ...]] = ("mw-content-text",)

    @classmethod
    def detect(cls, selector: Selector) -> bool:
        return bool(
            selector.xpath(
                "//meta[@property='og:site_name'][contains(@content,'MixesDB')]"
                " | //link[@rel='canonical'][contains(@href,'mixesdb.com/')]"
                " | //link[@rel='search'][contains(@title,'MixesDB')]"
            )
        ) and bool(selector.xpath("//div[@id='mw-content-text']"))

    def sets(self) -> list[DJSet]:
        tracks = [t for t in (_track(line) for line in self._lines()) if t is not None]
        if not tracks:
            return []
        for position, track in enumerate(tracks, 1):
            track.position = position
        title = clean(self.selector.xpath("string(//h1[@id='firstHeading'])").get()) or clean(
            self.selector.xpath("//title/text()").get()
        )
        djs, venue, event = _title_parts(title)
        return [
            DJSet(
                source=self.source,
                url=self.url,
                title=title,
                djs=djs,
                event=event,
                venue=venue,
                date=iso_date((title or "")[:10]),
                tracks=tracks,
            )
        ]

    def _lines(self) -> list[str]:
        """Track lines after the "Tracklist" heading, or anywhere in the content without one."""
        content = self.selector.xpath("//div[@id='mw-content-text']")
        if not content:
            return []
        root = content.xpath(".//div[contains(@class,'mw-parser-output')]") or content
        heading = root.xpath("./h2[.//*[@id='Tracklist'] or normalize-space()='Tracklist']")
        if heading:
            nodes = heading[0].xpath(
                "following-sibling::*[not(self::h2)][count(preceding-sibling::h2) = $n]",
                n=len(heading[0].xpath("preceding-sibling::h2")) + 1,
            )
        else:
            nodes = root.xpath("./*")
        lines: list[str] = []
        for node in nodes:
            for item in node.xpath(
                "self::ol/li | self::div//div[contains(@class,'list-track')]"
                " | self::div[contains(@class,'list-track')]"
            ):
                line = clean(item.xpath("string(.)").get())
                if line:
                    lines.append(line)
        return lines


def _track(line: str) -> TrackEntry | None:
    cue = None
    match = _CUE.match(line)
    if match:
        value = match.group(1)
        cue = int(value) * 60 if value.isdigit() else clock_seconds(value)
        line = line[match.end() :]
    line = line.strip()
    if not line:
        return None
    return TrackEntry(cue_s=cue, raw=line)


def _title_parts(title: str | None) -> tuple[list[str], str | None, str | None]:
    """(DJs, venue, event) from "DATE - DJ, DJ @ Venue" or "DATE - DJ - Show"."""
    if not title:
        return [], None, None
    rest = _TITLE_DATE.sub("", title)
    venue = event = None
    if " @ " in rest:
        who, venue = rest.split(" @ ", 1)
    elif " - " in rest:
        who, event = rest.split(" - ", 1)
    else:
        who = rest
    djs = [d for d in (clean(x) for x in re.split(r",\s*|\s+&\s+|\s+b2b\s+", who)) if d]
    return djs, clean(venue), clean(event)
