"""The saved page of a changed layout: the page class recognizes it and finds no tracklist."""

from __future__ import annotations

from crawler.sites import extract_sets
from crawler.sites.base import parse_html
from crawler.sites.mixesdb import MixesDBPage
from tests.conftest import FIXTURES

ORIGINAL = FIXTURES / "mixesdb/jeff_mills_liquid_room.html"
CHANGED = FIXTURES / "layout_changed/mixesdb_jeff_mills_liquid_room.html"


def test_the_original_gives_its_tracklist() -> None:
    [djset] = extract_sets("https://www.mixesdb.com/w/x", ORIGINAL.read_bytes())
    assert len(djset.tracks) == 5


def test_the_changed_page_still_looks_like_mixesdb_but_gives_nothing() -> None:
    html = CHANGED.read_bytes()
    assert MixesDBPage.detect(parse_html(html))
    assert extract_sets("https://www.mixesdb.com/w/x", html) == []
    assert (CHANGED.parent / "PROVENANCE").read_text().count("jeff_mills_liquid_room.html") >= 2
