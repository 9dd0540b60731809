"""Rendering end to end: real crawls (``scrapy crawl sets``) of loopback sites whose track
list is filled in by script from ``/api/...json``, rendered by Debian's Chromium.

One crawl covers six hosts, each a case:
127.0.0.2 render_js = true: rendered, extracted;
127.0.0.3 no terms entry: never rendered, /api/ never asked for;
127.0.0.4 render_js = true but robots.txt disallows /api/: /api/ never asked for;
127.0.0.5 render_js = true but the plain HTML already holds the tracklist: not rendered;
127.0.0.6 render_js = true, /api/ answers after the render time-out: a clear log line;
127.0.0.7 render_js = false in the terms file: never rendered;
127.0.0.8 render_js = true but the page says noindex (its sets would be dropped): not rendered.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import pytest

from crawler.devserver import LoggedRequest, LoopbackSite, Reply
from tests.conftest import run_scrapy
from tests.render.conftest import need_chromium, stats
from tests.render.jsite import js_site, playlist

pytestmark = pytest.mark.browser

DISALLOW_API = "User-agent: *\nCrawl-delay: 0.05\nDisallow: /api/\n"
DELAY = 0.05
SITE_PATHS = {"/sets/0", "/static/site.css", "/static/cover.jpg", "/static/deco.woff2"} | {
    f"/api/{name}.json" for name in ("set-0", "old", "renamed", "away")
}
TERMS = """
[[site]]
domain = "127.0.0.2"
render_js = true
[[site]]
domain = "127.0.0.4"
render_js = true
[[site]]
domain = "127.0.0.5"
render_js = true
[[site]]
domain = "127.0.0.6"
render_js = true
[[site]]
domain = "127.0.0.7"
render_js = false
[[site]]
domain = "127.0.0.8"
render_js = true
"""


@dataclass
class Crawl:
    sites: dict[str, LoopbackSite]
    sets: list[dict]
    log: str

    def paths(self, host: str) -> list[str]:
        """What the host served, robots.txt and TDMRep left out (politeness asks for them)."""
        return [r.path for r in self.sites[host].requests() if r.path in SITE_PATHS]


def _slow(request: LoggedRequest) -> Reply:
    time.sleep(5.0)
    return Reply(body=json.dumps(playlist(0)), content_type="application/json")


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    need_chromium()
    tmp = tmp_path_factory.mktemp("render")
    (tmp / "terms.toml").write_text(TERMS)
    sites = {
        "127.0.0.2": js_site(
            "127.0.0.2", other_host="127.0.0.3:9", extra=("/api/old.json", "/api/away.json")
        ),
        "127.0.0.3": js_site("127.0.0.3"),
        "127.0.0.4": js_site("127.0.0.4", robots=DISALLOW_API),
        "127.0.0.5": js_site("127.0.0.5"),
        "127.0.0.6": js_site("127.0.0.6"),
        "127.0.0.7": js_site("127.0.0.7"),
        "127.0.0.8": js_site("127.0.0.8"),
    }
    noindex = sites["127.0.0.8"].routes["/sets/0"]
    assert isinstance(noindex, Reply) and isinstance(noindex.body, str)
    noindex.body = noindex.body.replace("<head>", '<head><meta name="robots" content="noindex">')
    static = f"<script type='application/ld+json'>{json.dumps(playlist(5))}</script>"
    sites["127.0.0.5"].routes["/sets/0"] = Reply(body=f"<html><head>{static}</head></html>")
    sites["127.0.0.6"].routes["/api/set-0.json"] = _slow
    # validators: the plain fetch is recorded with its ETag; the render asks nothing
    # (conditional or not) for the page, which it has from the plain fetch
    page = sites["127.0.0.2"].routes["/sets/0"]
    assert isinstance(page, Reply)

    def with_etag(request: LoggedRequest) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(body=page.body, headers={"ETag": '"v1"'})

    sites["127.0.0.2"].routes["/sets/0"] = with_etag
    # redirects: followed hop by hop on the site, refused off it
    elsewhere = sites["127.0.0.3"].url("/api/set-0.json")
    sites["127.0.0.2"].routes.update({
        "/api/old.json": Reply(301, headers={"Location": "/api/renamed.json"}),
        "/api/renamed.json": Reply(body="{}", content_type="application/json"),
        "/api/away.json": Reply(302, headers={"Location": elsewhere}),
    })  # fmt: skip
    for site in sites.values():
        site.start()
    try:
        urls = ",".join(site.url("/sets/0") for site in sites.values())
        out = tmp / "sets.json"
        result = run_scrapy(
            "crawl", "sets", "-a", f"start_urls={urls}", "-a", "max_depth=0",
            "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", f"SITE_POLICY_FILE={tmp / 'terms.toml'}",
            "-s", f"DATABASE_URL=sqlite:///{tmp / 'crawler.db'}", "-s", "RENDER_TIMEOUT=3",
            "-O", str(out),
        ).check()  # fmt: skip
        (tmp / "crawl.log").write_text(result.stderr)
        yield Crawl(sites, json.loads(out.read_text()), result.stderr)
    finally:
        for site in sites.values():
            site.stop()


def test_rendered_and_extracted_where_terms_allow(crawl: Crawl) -> None:
    rendered = [s for s in crawl.sets if "127.0.0.2" in s["url"]]
    assert [s["title"] for s in rendered] == ["Rendered Set 0"]
    assert [t["artist"] for t in rendered[0]["tracks"]] == ["Kölsch", "Bicep", "Floorplan"]
    assert rendered[0]["djs"] == ["DJ Script"]
    # the plain fetch, then only the sub-requests the render needs: the browser is handed
    # the page the plain fetch got, the site is not asked for it twice
    paths = crawl.paths("127.0.0.2")
    assert paths[0] == "/sets/0"
    assert sorted(paths[1:]) == [
        "/api/away.json", "/api/old.json", "/api/renamed.json", "/api/set-0.json",
        "/static/site.css",
    ]  # fmt: skip


def test_redirects_are_checked_hop_by_hop(crawl: Crawl) -> None:
    """The browser follows redirects without asking any route: the gate follows them
    itself, so /api/away.json's hop to another host is refused, /api/old.json's followed."""
    assert "/api/renamed.json" in crawl.paths("127.0.0.2")
    assert crawl.paths("127.0.0.3") == ["/sets/0"]
    assert stats(crawl.log)["render/subrequests/redirects"] == 2


@pytest.mark.parametrize("host", ["127.0.0.3", "127.0.0.7", "127.0.0.8"])
def test_not_rendered_unless_permitted_and_kept(crawl: Crawl, host: str) -> None:
    """.3 and .7: the terms do not allow it; .8: noindex, its sets would be dropped."""
    assert crawl.paths(host) == ["/sets/0"]
    assert not [s for s in crawl.sets if host in s["url"]]


def test_api_never_requested_where_robots_disallows(crawl: Crawl) -> None:
    paths = crawl.paths("127.0.0.4")
    assert paths.count("/sets/0") == 1  # rendered from its plain fetch
    assert not [p for p in paths if p.startswith("/api/")]
    assert not [s for s in crawl.sets if "127.0.0.4" in s["url"]]


def test_page_with_a_tracklist_in_plain_html_is_never_rendered(crawl: Crawl) -> None:
    assert crawl.paths("127.0.0.5") == ["/sets/0"]
    assert [s["title"] for s in crawl.sets if "127.0.0.5" in s["url"]] == ["Rendered Set 5"]


def test_images_fonts_and_other_hosts_never_fetched(crawl: Crawl) -> None:
    for host in crawl.sites:
        paths = crawl.paths(host)
        assert "/static/cover.jpg" not in paths and "/static/deco.woff2" not in paths
        assert "/tracker.js" not in paths  # 127.0.0.2's page asks 127.0.0.3 for it


def test_subrequests_carry_the_crawlers_user_agent(crawl: Crawl) -> None:
    site = crawl.sites["127.0.0.2"]
    agents = {r.path: r.user_agent for r in site.requests()}
    assert agents["/robots.txt"].startswith("PoliteTracklistCrawler/0.1.0 (+https://")
    assert agents["/static/site.css"] == agents["/api/set-0.json"] == agents["/robots.txt"]
    assert {r.user_agent for r in site.requests()} == {agents["/robots.txt"]}
    assert "HeadlessChrome" not in agents["/api/set-0.json"]


@pytest.mark.parametrize("host", ["127.0.0.2", "127.0.0.4"])
def test_subrequests_keep_the_hosts_pace(crawl: Crawl, host: str) -> None:
    """The server's own log: no two requests closer than the host's Crawl-delay."""
    times = [r.time for r in crawl.sites[host].requests()]
    gaps = [b - a for a, b in pairwise(times)]
    assert len(gaps) >= 2 and min(gaps) >= DELAY - 0.005, gaps


def test_render_timeout_gives_a_clear_log_line(crawl: Crawl) -> None:
    assert "Render of http://127.0.0.6:" in crawl.log
    assert "timed out after" in crawl.log and "RENDER_TIMEOUT=3" in crawl.log


def test_stats(crawl: Crawl) -> None:
    got = stats(crawl.log)
    assert got["render/pages"] == 2  # .2 and .4 (.6 timed out)
    assert got["render/requested"] == 3
    assert got["render/navigations_in_hand"] == 3  # no page asked for twice
    assert got["render/timeouts"] == 1
    assert got["render/skipped/sets_dropped"] == 1  # .8 says noindex
    assert got["render/subrequests/aborted/robots"] == 1
    assert got["render/subrequests/aborted/resource_type"] == 6  # image + font, 3 pages
    assert got["render/subrequests/aborted/off_site"] == 4  # tracker.js x 3, a redirect
    assert got["render/subrequests/allowed"] >= 7  # .2: css, api x 3, a hop; .4, .6: css
