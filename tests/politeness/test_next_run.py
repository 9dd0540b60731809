"""A crawl started right after another keeps each host's gap from the last run's last
request, its robots.txt request included: the new run learns the host's Crawl-delay only
by reading robots.txt again, so the store keeps the earliest start of the next request
(``host_last_requests.next_at``) by the gap the host asked for then.

Two ``scrapy crawl sets`` runs in a row, on one store, of a loopback site asking for
``Crawl-delay: 4``; the server's own log is the judge.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.devserver import LoopbackSite, Reply
from tests.conftest import run_scrapy

DELAY = 4.0
PAGE = "<html><head><title>Set</title></head><body><p>no tracklist</p></body></html>"


@pytest.mark.slow
def test_the_next_run_waits_the_crawl_delay_before_asking_robots_txt(tmp_path: Path) -> None:
    routes = {
        "/robots.txt": Reply(
            body=f"User-agent: *\nCrawl-delay: {DELAY:g}\n", content_type="text/plain"
        ),
        "/a": Reply(body=PAGE),
        "/b": Reply(body=PAGE),
    }
    common = (
        "-a", "max_depth=0", "-s", "ALLOW_PRIVATE_HOSTS=True",
        "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'crawler.db'}",
        "-s", "TDMREP_FETCH_WELLKNOWN=False",
    )  # fmt: skip
    with LoopbackSite("127.23.0.9", routes=routes) as site:  # type: ignore[arg-type]
        run_scrapy("crawl", "sets", "-a", f"start_urls={site.url('/a')}", *common).check()
        first = site.requests()
        run_scrapy("crawl", "sets", "-a", f"start_urls={site.url('/b')}", *common).check()
        both = site.requests()
    assert [r.path for r in first] == ["/robots.txt", "/a"]
    assert [r.path for r in both[len(first) :]] == ["/robots.txt", "/b"]
    last, robots = both[len(first) - 1], both[len(first)]
    assert robots.time - last.time >= DELAY - 0.05, robots.time - last.time
