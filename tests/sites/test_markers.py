"""Page-class markers only save work: with the page's text known, every saved page gives
the sets it gives without it (when each class's ``detect`` queries the tree)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from parsel import Selector

from crawler.items import DJSet
from crawler.sites import PAGE_CLASSES, SitePage, extract_sets, parse_html
from crawler.sites.saved import canonical_url
from crawler.sites.schemaorg import SchemaOrgPage
from tests.conftest import FIXTURES

PAGES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".html", ".htm"))


def _asdicts(sets: list[DJSet]) -> list[dict[str, object]]:
    return [dataclasses.asdict(s) for s in sets]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(FIXTURES)) for p in PAGES])
def test_a_page_gives_the_same_sets_with_and_without_its_text(page: Path) -> None:
    html = page.read_text(encoding="utf-8", errors="replace")
    url = canonical_url(html) or page.resolve().as_uri()
    with_text = extract_sets(url, html)
    tree_only = extract_sets(url, parse_html(html))
    assert _asdicts(with_text) == _asdicts(tree_only)
    assert _asdicts(extract_sets(url, parse_html(html), html)) == _asdicts(with_text)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(FIXTURES)) for p in PAGES])
def test_no_class_is_kept_from_a_page_its_detect_accepts(page: Path) -> None:
    html = page.read_text(encoding="utf-8", errors="replace")
    selector = parse_html(html)
    for cls in PAGE_CLASSES:
        if cls.detect(selector):
            assert cls.recognizes(selector, html.lower()), cls.__name__


class _Refuses(SitePage):
    source = "test"
    markers = ("only-here",)

    @classmethod
    def detect(cls, selector: Selector) -> bool:
        raise AssertionError("queried a page without the marker")

    def sets(self) -> list[DJSet]:
        return []


def test_a_page_without_the_markers_is_not_queried() -> None:
    selector = parse_html("<html><body><p>nothing</p></body></html>")
    assert not _Refuses.recognizes(selector, "<html><body><p>nothing</p></body></html>")
    with pytest.raises(AssertionError):
        _Refuses.recognizes(selector)  # without the text, detect() decides


def test_markers_ignore_case_as_html_attribute_names_do() -> None:
    html = (
        '<html><body><div ITEMSCOPE ITEMTYPE="https://schema.org/MusicPlaylist">'
        '<meta ITEMPROP="name" content="Upper"><div ITEMPROP="track" ITEMSCOPE'
        ' ITEMTYPE="https://schema.org/MusicRecording"><span ITEMPROP="name">T</span>'
        "</div></div></body></html>"
    )
    sets = extract_sets("https://example.org/s", html)
    assert [s.title for s in sets] == ["Upper"]
    assert SchemaOrgPage("https://example.org/s", html).mentions("itemscope")
