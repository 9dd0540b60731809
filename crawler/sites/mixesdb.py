"""MixesDB pages (a MediaWiki): one mix per page, its tracklist in wiki lists.

The page title reads "YYYY-MM-DD - DJ[, DJ] @ Venue" or "YYYY-MM-DD - DJ - Show"; the
tracklist follows the "Tracklist" heading as a numbered list (``ol > li``) or as
``div.list-track`` lines, which may start with a cue in brackets: ``[034]`` or ``[34]``
are minutes (MixesDB's convention), ``[1:02:03]`` a clock time. "?" marks an unknown
track and stays in ``raw`` for the normalizer.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

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


# -- the MediaWiki API (``api.php``) ------------------------------------------------------
SITE = "https://www.mixesdb.com"
MAXLAG = 5
"""Seconds of database lag past which MediaWiki asks bots to wait (its bot etiquette)."""


def page_url(title: str) -> str:
    """A page's address on mixesdb.com, as its canonical link writes it."""
    return f"{SITE}/w/{quote(title.replace(' ', '_'), safe='/:@,()!$*;=&')}"


def parse_request_url(api: str, title: str) -> str:
    query = {"action": "parse", "page": title, "prop": "text|displaytitle|categories",
             "redirects": 1, "format": "json", "formatversion": 2, "maxlag": MAXLAG}  # fmt: skip
    return f"{api}?{urlencode(query)}"


def category_request_url(api: str, category: str, cont: dict[str, str] | None = None) -> str:
    name = category if category.startswith("Category:") else f"Category:{category}"
    query: dict[str, str | int] = {"action": "query", "list": "categorymembers", "cmtitle": name,
                                   "cmnamespace": 0, "cmlimit": 500, "format": "json",
                                   "formatversion": 2, "maxlag": MAXLAG}  # fmt: skip
    query.update(cont or {})
    return f"{api}?{urlencode(query)}"


def api_error(answer: dict[str, Any]) -> str | None:
    """The code of an ``api.php`` error answer (``maxlag``, ``missingtitle``), or None."""
    error = answer.get("error")
    return str(error.get("code") or "error") if isinstance(error, dict) else None


def category_titles(answer: dict[str, Any]) -> tuple[list[str], dict[str, str] | None]:
    """The page titles of a ``list=categorymembers`` answer and its ``continue``, if any."""
    members = (answer.get("query") or {}).get("categorymembers") or []
    titles = [m["title"] for m in members if isinstance(m, dict) and m.get("title")]
    cont = answer.get("continue")
    return titles, {str(k): str(v) for k, v in cont.items()} if isinstance(cont, dict) else None


def parsed_page_sets(answer: dict[str, Any]) -> list[DJSet]:
    """The sets of an ``action=parse`` answer (formatversion 1 or 2), read by the page class
    from the parsed HTML, as a crawl of the page itself reads them."""
    parse = answer.get("parse") or {}
    title = str(parse.get("title") or "")
    text = parse.get("text")
    if isinstance(text, dict):  # formatversion=1: {"*": html}
        text = text.get("*")
    if not title or not isinstance(text, str):
        return []
    page = (
        '<html><head><meta property="og:site_name" content="MixesDB"/>'
        f"<title>{escape(title)} | MixesDB</title></head><body>"
        f'<h1 id="firstHeading">{escape(title)}</h1>'
        f'<div id="mw-content-text">{text}</div></body></html>'
    )
    return MixesDBPage(page_url(title), page).sets()
