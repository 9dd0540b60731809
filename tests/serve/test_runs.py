"""The crawl runs page over a real crawl of loopback hosts: each host's allowed gap against
the shortest gap the crawler left, as the run recorded them."""

from __future__ import annotations

from pathlib import Path

import httpx

from crawler.serve import create_app
from tests.politeness.conftest import crawl, page, robots, sites  # noqa: F401 (fixture)
from tests.serve.conftest import Served


def test_runs_show_allowed_and_shortest_gap_per_host(sites, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    slow = sites.add({"/robots.txt": robots("User-agent: *\nCrawl-delay: 0.3\n"),
                      "/": page(["/a", "/b"]), "/a": page(), "/b": page()})  # fmt: skip
    quick = sites.add({"/robots.txt": robots("User-agent: *\nCrawl-delay: 0.1\n"),
                       "/": page(["/a"]), "/a": page()})  # fmt: skip
    db = tmp_path / "store.db"
    settings = {"CRAWL_RUNS_RECORD": True, "DATABASE_URL": f"sqlite:///{db}"}
    crawl([slow.url(), quick.url()], settings)
    with Served(create_app(f"sqlite:///{db}")) as url:
        [run] = httpx.get(url + "/api/v1/runs", timeout=30).json()["items"]
        html = httpx.get(url + "/runs", timeout=30).text
    politeness = run["politeness"]
    for site, delay in ((slow, 0.3), (quick, 0.1)):
        allowed = politeness["gap_allowed"][site.host]
        assert allowed >= delay
        assert politeness["gap_min"][site.host] >= allowed - 0.01
        assert f"{site.host}: allowed {allowed:g} s" in html
    assert 'role="img"' in html and "shortest gap" in html
