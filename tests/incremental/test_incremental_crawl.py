"""Recrawls of a 200-page loopback site: conditional requests, changes, gone sets, sitemaps."""

from __future__ import annotations

from crawler.devserver import LoggedRequest
from tests.incremental.conftest import crawl, pages_by_url, sets_by_url, stat
from tests.incremental.site import ChangingSite


def _conditional(request: LoggedRequest) -> bool:
    return "if-none-match" in request.headers or "if-modified-since" in request.headers


def test_second_run_of_an_unchanged_site_sends_conditional_requests_only(
    site: ChangingSite, database: str
) -> None:
    first = crawl(site, database)
    assert stat(first, "store/created") == 200
    sets_before, pages_before = sets_by_url(database), pages_by_url(database)
    n, r = len(site.site.log), len(site.replies)

    second = crawl(site, database)

    plain = [req.path for req in site.site.log[n:] if not _conditional(req)]
    # not even robots.txt: what it said (sitemaps included) is kept in the store for a day
    assert plain == []
    assert stat(second, "politeness/robots/from_store") == 1
    replies = [(path, status) for path, status, conditional in site.replies[r:] if conditional]
    # everything else (4 index pages, 200 set pages) was a 304
    assert len(replies) == 4 + 200
    assert {status for _, status in replies} == {304}
    assert stat(second, "incremental/not_modified") == 204
    # stores nothing new, and changes nothing it had
    for key in ("store/created", "store/updated", "store/unchanged", "incremental/pages_recorded"):
        assert stat(second, key) == 0, key
    assert sets_by_url(database) == sets_before
    assert pages_by_url(database) == pages_before


def test_a_changed_page_is_parsed_again_and_its_set_updated(
    small_site: ChangingSite, database: str
) -> None:
    site = small_site
    crawl(site, database)
    site.change(7, "Session 7 (extended mix)")
    n = len(site.replies)

    log = crawl(site, database)

    full = sorted(path for path, status, cond in site.replies[n:] if status == 200 and cond)
    assert full == ["/", "/sets/7.html"]  # the page, and the index that lists its title
    assert stat(log, "store/updated") == 1 and stat(log, "store/created") == 0
    stored = sets_by_url(database)
    assert len(stored) == 60
    assert stored[site.url("/sets/7.html")].title == "Session 7 (extended mix)"


def test_a_set_gone_from_its_site_is_marked_not_deleted(
    small_site: ChangingSite, database: str
) -> None:
    site = small_site
    crawl(site, database)
    site.remove(5, status=410)
    site.remove(6, status=404)

    log = crawl(site, database)

    stored = sets_by_url(database)
    assert len(stored) == 60
    gone = {url for url, row in stored.items() if row.gone_at is not None}
    assert gone == {site.url("/sets/5.html"), site.url("/sets/6.html")}
    assert stat(log, "incremental/sets_gone") == 2
    pages = pages_by_url(database)
    assert pages[site.url("/sets/5.html")][2] == 410
    # the site's 404 for tdmrep.json is the politeness package's verdict, not a gone page
    assert site.url("/.well-known/tdmrep.json") not in pages


def test_sitemap_lastmod_spares_unchanged_pages_and_finds_changed_ones(database: str) -> None:
    with ChangingSite("127.0.0.3", pages=60, per_index=20, sitemap=True) as site:
        first = crawl(site, database)
        assert stat(first, "store/created") == 60
        n = len(site.site.log)

        second = crawl(site, database)
        asked = [r.path for r in site.site.log[n:]]
        assert not [p for p in asked if p.startswith("/sets/")]  # not even conditionally
        assert stat(second, "incremental/fresh_by_sitemap") == 60
        assert stat(second, "store/created") + stat(second, "store/updated") == 0

        site.change(42, "Session 42 (re-edit)")
        n = len(site.replies)
        third = crawl(site, database)
        full = sorted(path for path, status, cond in site.replies[n:] if status == 200 and cond)
        assert full == ["/index/3.html", "/sets/42.html", "/sitemap.xml"]  # 42 is on index 3
        assert stat(third, "store/updated") == 1
        assert sets_by_url(database)[site.url("/sets/42.html")].title == "Session 42 (re-edit)"
