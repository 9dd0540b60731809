"""`scrapy crawl mixesdb` through a loopback MediaWiki `api.php`, with maxlag."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import FIXTURES, CrawlResult, run_scrapy
from tests.mixesdb.server import CATEGORY, MixesDBSite

HOST = "127.25.2.1"


@pytest.fixture
def wiki() -> Iterator[MixesDBSite]:
    with MixesDBSite(HOST) as site:
        yield site


def crawl(site: MixesDBSite, tmp: Path, *args: str) -> CrawlResult:
    terms = tmp / "terms.toml"
    terms.write_text(f'[[site]]\ndomain = "{HOST}"\nmin_delay = 0.5\n', encoding="utf-8")
    return run_scrapy(
        "crawl", "mixesdb", *args,
        "-s", f"MIXESDB_API_URL={site.url('/db/api.php')}", "-s", "ALLOW_PRIVATE_HOSTS=True",
        "-s", f"SITE_POLICY_FILE={terms}", "-s", f"DATABASE_URL=sqlite:///{tmp}/m.db",
        "-O", str(tmp / "sets.json"),
    )  # fmt: skip


def test_a_category_s_pages_come_through_api_php_with_maxlag(
    wiki: MixesDBSite, tmp_path: Path
) -> None:
    result = crawl(wiki, tmp_path, "-a", f"category={CATEGORY}").check()
    sets = {s["title"]: s for s in json.loads((tmp_path / "sets.json").read_text())}
    for name in ("essential_mix_cued", "jeff_mills_liquid_room"):
        expected = json.loads((FIXTURES / "mixesdb" / f"{name}.expected.json").read_text())
        expected = expected[0] if isinstance(expected, list) else expected
        got = sets[expected["title"]]
        assert [t["raw"] for t in got["tracks"]] == [t["raw"] for t in expected["tracks"]]
        assert [t["cue_s"] for t in got["tracks"]] == [t["cue_s"] for t in expected["tracks"]]
        assert got["djs"] == expected["djs"] and got["source"] == "mixesdb"
    jeff = sets["2000-09-29 - Jeff Mills @ The Liquid Room, Tokyo"]
    assert (
        jeff["url"] == "https://www.mixesdb.com/w/2000-09-29_-_Jeff_Mills_@_The_Liquid_Room,_Tokyo"
    )

    api = [r for r in wiki.requests() if r.path.startswith("/db/api.php")]
    queries = [parse_qs(urlsplit(r.path).query) for r in api]
    assert all(q["maxlag"] == ["5"] and q["format"] == ["json"] for q in queries)
    assert all(r.headers.get("accept") == "application/json" for r in api)
    # the category: a 503, then two pages of one title each (cmcontinue)
    listing = [q for q in queries if q.get("list") == ["categorymembers"]]
    assert len(listing) == 3 and listing[-1]["cmcontinue"] == ["page|1"]
    # the first parse was lagged: asked again after its Retry-After
    parses = [(r, q) for r, q in zip(api, queries, strict=True) if q.get("action") == ["parse"]]
    assert len(parses) == 3
    lagged_page = parses[0][1]["page"]
    again = next(r for r, q in parses[1:] if q["page"] == lagged_page)
    assert again.time - parses[0][0].time >= 1.0 - 0.01
    assert "'mixesdb/maxlag': 1" in result.stderr
    times = [r.time for r in wiki.requests()]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.5 - 0.01


def test_pages_by_title(wiki: MixesDBSite, tmp_path: Path) -> None:
    crawl(wiki, tmp_path, "-a", "page=2019-06-15_-_Sasha_-_Essential_Mix").check()
    (djset,) = json.loads((tmp_path / "sets.json").read_text())
    assert djset["title"] == "2019-06-15 - Sasha - Essential Mix" and len(djset["tracks"]) == 4
