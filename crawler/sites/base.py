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
    text = page_text(html)
    return Selector(root=create_root_node(text or "<html/>", etree.HTMLParser), type="html")


def page_text(html: str | bytes) -> str:
    """A page as text (bytes are read as UTF-8, what cannot be decoded replaced)."""
    return html.decode("utf-8", "replace") if isinstance(html, bytes) else html


class SitePage(ABC):
    """Extracts the DJ sets of one page.

    Subclasses set ``source`` (the item's ``source``), optionally ``domains`` (hosts whose
    pages they handle when crawled), and implement :meth:`detect` (recognize a saved page by
    its content) and :meth:`sets`.
    """

    source: ClassVar[str]
    domains: ClassVar[tuple[str, ...]] = ()
    markers: ClassVar[tuple[str, ...]] = ()
    """Lower-case strings of which every page this class reads holds one in its HTML
    (an id, a type name): a page holding none is not shown to :meth:`detect`. Asking
    ``in`` of the text costs microseconds, an XPath query over the tree a good part of a
    millisecond, and most pages are not of most classes. Empty: :meth:`detect` alone."""

    def __init__(
        self, url: str, html: str | bytes | Selector, folded_text: str | None = None
    ) -> None:
        self.url = url
        if isinstance(html, Selector):
            self._selector = html
        else:
            text = page_text(html)
            self._selector = parse_html(text)
            folded_text = text.lower() if folded_text is None else folded_text
        self.folded_text = folded_text
        """The page's HTML in lower case, when known (see :meth:`mentions`)."""

    def mentions(self, *words: str) -> bool:
        """Whether the page's HTML holds one of ``words`` (lower case), ignoring case;
        True when the text is not known. For skipping work a page cannot need: lxml lower-
        cases attribute names, so a marker is never missed for its case."""
        folded = self.folded_text
        return folded is None or any(word in folded for word in words)

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
    def recognizes(cls, selector: Selector, folded_text: str | None = None) -> bool:
        """Whether to read this page with this class: it holds a marker (when its text is
        known) and :meth:`detect` says yes."""
        if folded_text is not None and cls.markers:
            return cls.holds_marker(folded_text) and cls.detect(selector)
        return cls.detect(selector)

    @classmethod
    def holds_marker(cls, folded_text: str) -> bool:
        """Whether a page's lower-cased HTML holds one of this class's markers."""
        return any(marker in folded_text for marker in cls.markers)

    @classmethod
    @abstractmethod
    def detect(cls, selector: Selector) -> bool:
        """Whether a page (e.g. a saved file) looks like one this class reads."""

    @abstractmethod
    def sets(self) -> list[DJSet]:
        """The sets on the page; an empty list when there are none."""
