"""Every site-specific page class on its saved pages, alone and through the registry.

Fixtures are ``fixtures/<site>/<case>.html`` with ``<case>.expected.json`` beside them
(``{fixtures}`` in an expected URL stands for the fixtures folder's ``file://`` URI).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from crawler.sites import SitePage, extract_sets
from crawler.sites.mixesdb import MixesDBPage
from crawler.sites.saved import canonical_url
from crawler.sites.textblock import TextBlockPage
from crawler.sites.tracklists1001 import Tracklists1001Page
from tests._items import with_defaults
from tests.conftest import FIXTURES

CLASSES: dict[str, type[SitePage]] = {
    "mixesdb": MixesDBPage,
    "textblock": TextBlockPage,
    "tracklists1001": Tracklists1001Page,
}
CASES = [(cls, page) for folder, cls in CLASSES.items()
         for page in sorted((FIXTURES / folder).glob("*.html"))]  # fmt: skip
IDS = [f"{page.parent.name}/{page.stem}" for _, page in CASES]


def expected(page: Path) -> list[dict]:
    text = page.with_suffix(".expected.json").read_text()
    return json.loads(text.replace("{fixtures}", FIXTURES.resolve().as_uri()))


def url_of(page: Path, html: str) -> str:
    return canonical_url(html) or page.resolve().as_uri()


@pytest.mark.parametrize(("cls", "page"), CASES, ids=IDS)
def test_fixture(cls: type[SitePage], page: Path) -> None:
    html = page.read_text()
    sets = cls(url_of(page, html), html).sets()
    assert [dataclasses.asdict(s) for s in sets] == with_defaults(expected(page))


@pytest.mark.parametrize(("cls", "page"), CASES, ids=IDS)
def test_registry_picks_this_class(cls: type[SitePage], page: Path) -> None:
    html = page.read_text()
    sets = extract_sets(url_of(page, html), html)
    assert [dataclasses.asdict(s) for s in sets] == with_defaults(expected(page))
