"""The fallback: a plain-text tracklist block ("Artist - Title" lines) on any page.

Blogs, forums, radio-show pages and pasted notes write tracklists as text: "1. Artist -
Title", "01) Artist - Title [Label]", "03. [12:30] Artist - Title", or just "Artist -
Title" line after line. A run of at least three such lines numbered in order is a set,
and so is a run of at least four unnumbered ones (optionally after a cue time), one
after the other: menus and footers rarely look like that. Lines go to ``raw`` for the
normalizer; a clock time before the text is the cue. The registry tries this class last.
"""

from __future__ import annotations

import html
import re
from typing import ClassVar

from parsel import Selector

from crawler.items import DJSet, TrackEntry
from crawler.sites._text import clean, clock_seconds, iso_date
from crawler.sites.base import SitePage

MIN_LINES = 3
MIN_UNNUMBERED = 4
MAX_LINE = 200
_DROP = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_BREAK = re.compile(
    r"<(?:br|/?(?:p|div|li|tr|h[1-6]|pre|ol|ul|table|section|article))\b[^>]*>", re.I
)
_TAG = re.compile(r"<[^>]+>")
_LINE = re.compile(
    r"^\s*\[?(?P<n>\d{1,3})\s*[.):\]]?\s+"
    r"(?:[\[(]?(?P<cue>\d{1,2}(?::\d{2}){1,2})[\])]?\s+(?:[-–—]\s+)?)?"
    r"(?P<text>\S.*?\s[-–—]\s.*\S)\s*$"
)
_UNNUMBERED = re.compile(
    r"^\s*(?:[-*•]\s+)?(?:[\[(]?(?P<cue>\d{1,2}(?::\d{2}){1,2})[\])]?\s+(?:[-–—]\s+)?)?"
    r"(?P<text>[^\s\d\[(<].*?\s(?:--?|[–—−])\s.*\S)\s*$"
)


def _lines(page: str) -> list[str]:
    text = _BREAK.sub("\n", _DROP.sub(" ", page))
    return [html.unescape(_TAG.sub("", line)) for line in text.splitlines()]


def _blocks(page: str) -> list[list[re.Match[str]]]:
    """Runs of consecutive numbered lines (n, n+1, ...), blank lines between them
    allowed; without any, runs of unnumbered "Artist - Title" lines."""
    lines = [line for line in _lines(page) if line.strip()]
    blocks: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    for line in lines:
        match = _LINE.match(line)
        if match and current and int(match["n"]) == int(current[-1]["n"]) + 1:
            current.append(match)
            continue
        if len(current) >= MIN_LINES:
            blocks.append(current)
        current = [match] if match else []
    if len(current) >= MIN_LINES:
        blocks.append(current)
    return blocks or _unnumbered_blocks(lines)


def _unnumbered_blocks(lines: list[str]) -> list[list[re.Match[str]]]:
    """Runs of at least MIN_UNNUMBERED "Artist - Title" lines; a text that is nothing
    but such lines (a pasted list) is one whatever its length."""
    whole = [_UNNUMBERED.match(line) if len(line) <= MAX_LINE else None for line in lines]
    if len(whole) >= 2 and all(whole):
        return [[m for m in whole if m is not None]]
    blocks: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    for line in lines:
        match = _UNNUMBERED.match(line) if len(line) <= MAX_LINE else None
        if match:
            current.append(match)
            continue
        if len(current) >= MIN_UNNUMBERED:
            blocks.append(current)
        current = []
    if len(current) >= MIN_UNNUMBERED:
        blocks.append(current)
    return blocks


def why_no_tracklist(page: str) -> str:
    """Why a page or text holds no tracklist, in figures a user can check."""
    lines = [line.strip() for line in _lines(page) if line.strip()]
    dashed = sum(1 for line in lines if _UNNUMBERED.match(line) or _LINE.match(line))
    return (
        f"no tracklist found: {dashed} of {len(lines)} lines look like Artist - Title"
        f" (a set needs {MIN_LINES} numbered or {MIN_UNNUMBERED} consecutive ones)"
    )


class TextBlockPage(SitePage):
    source: ClassVar[str] = "text"

    @classmethod
    def detect(cls, selector: Selector) -> bool:
        return bool(_blocks(selector.get()))

    def sets(self) -> list[DJSet]:
        title = clean(
            self.selector.xpath("//meta[@property='og:title']/@content").get()
            or self.selector.xpath("//title/text()").get()
            or self.selector.xpath("string(//h1)").get()
        )
        sets = []
        for block in _blocks(self.html):
            tracks = [
                TrackEntry(position=i, cue_s=clock_seconds(m["cue"]), raw=clean(m["text"]))
                for i, m in enumerate(block, 1)
            ]
            sets.append(
                DJSet(
                    source=self.source,
                    url=self.url,
                    title=title,
                    date=iso_date(title),
                    tracks=tracks,
                )
            )
        return sets
