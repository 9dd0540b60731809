"""A crawl started right after another keeps each host's gap from the last run's last
request, its robots.txt request included: a new run that must read robots.txt again learns
the host's Crawl-delay only from it, so the store keeps the earliest start of the next
request (``host_last_requests.next_at``) by the gap the host asked for then. Within
``ROBOTSTXT_CACHE_SECONDS`` the new run does not ask for robots.txt at all: the store kept
what it said, Crawl-delay and Disallow lines included.

``scrapy crawl sets`` runs in a row, on one store, of a loopback site asking for
``Crawl-delay: 4``; the server's own log is the judge.
"""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest

from crawler.devserver import LoopbackSite, Reply
from tests.conftest import run_scrapy

DELAY = 4.0
PAGE = "<html><head><title>Set</title></head><body><p>no tracklist</p></body></html>"


def _common(tmp_path: Path) -> tuple[str, ...]:
    return (
        "-a", "max_depth=0", "-s", "ALLOW_PRIVATE_HOSTS=True",
        "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'crawler.db'}",
        "-s", "TDMREP_FETCH_WELLKNOWN=False",
    )  # fmt: skip


def _forget_robots_txt(tmp_path: Path) -> None:
    """As when the kept robots.txt has expired: the next run reads it again."""
    with sqlite3.connect(tmp_path / "crawler.db") as db:
        assert db.execute("DELETE FROM robots_files").rowcount == 1


@pytest.mark.slow
def test_the_next_run_waits_the_crawl_delay_before_asking_robots_txt(tmp_path: Path) -> None:
    routes = {
        "/robots.txt": Reply(
            body=f"User-agent: *\nCrawl-delay: {DELAY:g}\n", content_type="text/plain"
        ),
        "/a": Reply(body=PAGE),
        "/b": Reply(body=PAGE),
    }
    common = _common(tmp_path)
    with LoopbackSite("127.23.0.9", routes=routes) as site:  # type: ignore[arg-type]
        run_scrapy("crawl", "sets", "-a", f"start_urls={site.url('/a')}", *common).check()
        first = site.requests()
        _forget_robots_txt(tmp_path)
        run_scrapy("crawl", "sets", "-a", f"start_urls={site.url('/b')}", *common).check()
        both = site.requests()
    assert [r.path for r in first] == ["/robots.txt", "/a"]
    assert [r.path for r in both[len(first) :]] == ["/robots.txt", "/b"]
    last, robots = both[len(first) - 1], both[len(first)]
    assert robots.time - last.time >= DELAY - 0.05, robots.time - last.time


@pytest.mark.slow
def test_the_next_run_obeys_the_kept_robots_txt_without_asking_again(tmp_path: Path) -> None:
    routes = {
        "/robots.txt": Reply(
            body=f"User-agent: *\nCrawl-delay: {DELAY:g}\nDisallow: /private\n",
            content_type="text/plain",
        ),
        "/a": Reply(body=PAGE),
        "/b": Reply(body=PAGE),
        "/c": Reply(body=PAGE),
        "/private": Reply(body=PAGE),
    }
    with LoopbackSite("127.23.0.10", routes=routes) as site:  # type: ignore[arg-type]
        run_scrapy(
            "crawl", "sets", "-a", f"start_urls={site.url('/a')}", *_common(tmp_path)
        ).check()
        first = site.requests()
        urls = ",".join(site.url(path) for path in ("/b", "/private", "/c"))
        second = run_scrapy("crawl", "sets", "-a", f"start_urls={urls}", *_common(tmp_path))
        both = site.requests()
    assert [r.path for r in first] == ["/robots.txt", "/a"]
    again = both[len(first) :]
    assert sorted(r.path for r in again) == ["/b", "/c"]  # no robots.txt, nothing disallowed
    assert "'politeness/robots/from_store': 1" in second.stderr
    assert "'politeness/refused/robots': 1" in second.stderr
    times = [r.time for r in both]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= DELAY - 0.05, gaps  # the kept Crawl-delay, across both runs
