"""Page classes, one per site or layout, and the registry that picks one for a page."""

from __future__ import annotations

from urllib.parse import urlsplit

from parsel import Selector

from crawler.items import DJSet
from crawler.sites.base import SitePage, page_text, parse_html
from crawler.sites.mixesdb import MixesDBPage
from crawler.sites.schemaorg import SchemaOrgPage
from crawler.sites.textblock import TextBlockPage
from crawler.sites.tracklists1001 import Tracklists1001Page

__all__ = ["PAGE_CLASSES", "SitePage", "extract_sets", "page_classes_for", "parse_html"]

PAGE_CLASSES: list[type[SitePage]] = [
    # site-specific classes first, the generic ones after, the text-block fallback last
    Tracklists1001Page,
    MixesDBPage,
    SchemaOrgPage,
    TextBlockPage,
]


def page_classes_for(url: str) -> list[type[SitePage]]:
    """Classes to try for ``url``: the site's own first (by host), then every detector."""
    host = urlsplit(url).hostname or ""
    own = [c for c in PAGE_CLASSES if c.domains and c.handles_host(host)]
    return own + [c for c in PAGE_CLASSES if c not in own]


def extract_sets(url: str, html: str | bytes | Selector, text: str | None = None) -> list[DJSet]:
    """The sets on a page, from the first page class that recognizes it and finds any.

    ``text``: the page's HTML, when ``html`` is its selector (a response's ``text``);
    with it, classes skip pages that lack their markers without querying the tree.
    """
    if isinstance(html, Selector):
        selector = html
    else:
        text = page_text(html)
        selector = parse_html(text)
    folded = text.lower() if text is not None else None
    for cls in page_classes_for(url):
        if cls.recognizes(selector, folded) and (sets := cls(url, selector, folded).sets()):
            return sets
    return []
