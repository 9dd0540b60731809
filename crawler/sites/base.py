"""The page-class contract: ``(url, html) -> [DJSet]``, importing no Scrapy.

The live spider and the offline importer both call page classes, so a saved page and the
same page crawled from its site give the same sets.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property
from typing import ClassVar

from lxml import etree
from parsel import Selector
from parsel.selector import create_root_node

from crawler.items import DJSet


def parse_html(html: str | bytes) -> Selector:
    """A selector over a page, parsed as parsel parses it but with lxml's plain HTML
    parser: lxml.html's element classes cost a Python call for every element touched,
    a seventh of reading a saved page; page classes need none of their methods."""
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    return Selector(root=create_root_node(text or "<html/>", etree.HTMLParser), type="html")


class SitePage(ABC):
    """Extracts the DJ sets of one page.

    Subclasses set ``source`` (the item's ``source``), optionally ``domains`` (hosts whose
    pages they handle when crawled), and implement :meth:`detect` (recognize a saved page by
    its content) and :meth:`sets`.
    """

    source: ClassVar[str]
    domains: ClassVar[tuple[str, ...]] = ()

    def __init__(self, url: str, html: str | bytes | Selector) -> None:
        self.url = url
        self._selector = html if isinstance(html, Selector) else parse_html(html)

    @property
    def selector(self) -> Selector:
        return self._selector

    @cached_property
    def html(self) -> str:
        html: str = self._selector.get()  # parsel types get() as Any; the root's is its HTML
        return html

    @classmethod
    def handles_host(cls, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in cls.domains)

    @classmethod
    @abstractmethod
    def detect(cls, selector: Selector) -> bool:
        """Whether a page (e.g. a saved file) looks like one this class reads."""

    @abstractmethod
    def sets(self) -> list[DJSet]:
        """The sets on the page; an empty list when there are none."""
