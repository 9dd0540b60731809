"""The generic schema.org page class on saved pages: every markup variant."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pytest

from crawler.sites import extract_sets
from crawler.sites.schemaorg import SchemaOrgPage, parse_date, parse_duration
from tests._items import with_defaults

FIXTURES = Path(__file__).parents[2] / "fixtures" / "schemaorg"
CASES = sorted(FIXTURES.glob("*.html"))


@pytest.mark.parametrize("page", CASES, ids=[p.stem for p in CASES])
def test_fixture(page: Path) -> None:
    expected = json.loads(page.with_suffix(".expected.json").read_text())
    sets = extract_sets(f"https://example.org/{page.name}", page.read_text())
    assert [dataclasses.asdict(s) for s in sets] == with_defaults(expected)


def test_broken_jsonld_is_logged_and_the_rest_kept(caplog: pytest.LogCaptureFixture) -> None:
    page = FIXTURES / "broken-jsonld-and-two-playlists.html"
    with caplog.at_level(logging.WARNING):
        sets = SchemaOrgPage("https://example.org/p", page.read_text()).sets()
    assert [s.title for s in sets] == ["Warm-up", "Closing"]
    assert "Broken JSON-LD block 1" in caplog.text
    assert sets[1].url.endswith("#set-2")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT1H58M30S", 7110),
        ("PT59M", 3540),
        ("P1DT1S", 86401),
        ("1:02:03", 3723),
        ("45:10", 2710),
        ("3600", 3600),
        ("PT", None),
        ("soon", None),
        (None, None),
    ],
)
def test_parse_duration(value: str | None, seconds: int | None) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2024-03-09T22:00:00+00:00", "2024-03-09"),
        ("4 August 2019", "2019-08-04"),
        ("Aug 4, 2019", "2019-08-04"),
        ("04.08.2019", "2019-08-04"),
        ("last week", None),
    ],
)
def test_parse_date(value: str, iso: str | None) -> None:
    assert parse_date(value) == iso


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html",
        "\x00\x01binary",
        "<script type='application/ld+json'>[1, \"x\", null]</script>",
        '<script type=\'application/ld+json\'>{"@type": "MusicPlaylist", "track": 5}</script>',
        "<div itemscope itemtype='http://schema.org/MusicPlaylist'>"
        "<div itemprop='track'>x</div></div>",
    ],
)
def test_hostile_markup_never_raises(html: str) -> None:
    extract_sets("https://example.org/x", html)
