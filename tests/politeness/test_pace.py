"""Every host at its allowed pace, never faster: real crawls of loopback hosts."""

from __future__ import annotations

from crawler.devserver import LoopbackSite
from tests.conftest import run_scrapy
from tests.politeness.conftest import crawl, gaps, page, robots


def _site(sites, rules: str, n: int = 4) -> LoopbackSite:  # type: ignore[no-untyped-def]
    paths = [f"/{i}" for i in range(1, n + 1)]
    routes = {"/robots.txt": robots(rules), "/": page(paths)}
    routes.update({p: page() for p in paths})
    return sites.add(routes)


def test_each_host_keeps_its_crawl_delay_and_robots_txt_counts(sites) -> None:  # type: ignore[no-untyped-def]
    slow = _site(sites, "User-agent: *\nCrawl-delay: 0.3\n")
    fast = _site(sites, "User-agent: *\nCrawl-delay: 0.1\n")
    result = crawl([slow.url(), fast.url()])
    assert len(result.items) == 10
    assert min(gaps(slow)) >= 0.3  # robots.txt -> first page included
    assert min(gaps(fast)) >= 0.1
    # The fast host is not held up by the slow one: it finishes well before it.
    assert fast.requests()[-1].time < slow.requests()[-1].time - 0.5
    # And the crawl starts at the allowed pace: no warm-up.
    assert max(gaps(fast)) < 0.1 + 0.08
    assert result.stat("politeness/gap_min/127.0.0.3") >= 0.1


def test_request_rate_sets_the_gap(sites) -> None:  # type: ignore[no-untyped-def]
    site = _site(sites, "User-agent: *\nRequest-rate: 5/1\n", n=3)
    crawl([site.url()])
    assert min(gaps(site)) >= 0.2


def test_default_delay_applies_when_robots_gives_no_rate(sites) -> None:  # type: ignore[no-untyped-def]
    site = _site(sites, "User-agent: *\nDisallow: /nothing\n", n=3)
    crawl([site.url()], {"CRAWL_DELAY_DEFAULT": 0.25})
    assert min(gaps(site)) >= 0.25


def test_download_delay_is_a_floor(sites) -> None:  # type: ignore[no-untyped-def]
    site = _site(sites, "User-agent: *\nCrawl-delay: 0.05\n", n=3)
    crawl([site.url()], {"DOWNLOAD_DELAY": 0.25})
    assert min(gaps(site)) >= 0.25


def test_site_terms_min_delay_is_a_floor(sites, tmp_path) -> None:  # type: ignore[no-untyped-def]
    site = _site(sites, "User-agent: *\nCrawl-delay: 0.05\n", n=3)
    terms = tmp_path / "sites.toml"
    terms.write_text(f'[[site]]\ndomain = "{site.host}"\nmin_delay = 0.25\n')
    crawl([site.url()], {"SITE_POLICY_FILE": str(terms)})
    assert min(gaps(site)) >= 0.25


def test_jitter_only_lengthens(sites) -> None:  # type: ignore[no-untyped-def]
    site = _site(sites, "User-agent: *\nCrawl-delay: 0.1\n", n=5)
    crawl([site.url()], {"PACE_JITTER": 0.5})
    assert min(gaps(site)) >= 0.1


def test_crawl_delay_above_cap_skips_the_host(sites) -> None:  # type: ignore[no-untyped-def]
    greedy = _site(sites, "User-agent: *\nCrawl-delay: 120\n")
    normal = _site(sites, "User-agent: *\nCrawl-delay: 0.05\n")
    result = crawl([greedy.url(), normal.url()], {"CRAWL_DELAY_MAX": 10})
    assert [r.path for r in greedy.requests()] == ["/robots.txt"]
    assert len(normal.requests()) == 6
    assert result.stat("politeness/hosts_skipped/crawl_delay_above_max") == 1
    assert f"Skipping host {greedy.host} for this run" in result.log
    assert "CRAWL_DELAY_MAX=10" in result.log


def test_contradictory_settings_stop_the_crawl(sites, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # refused by the add-on before the crawl starts, in one line, exit 4 (as AutoThrottle)
    site = _site(sites, "User-agent: *\n")
    result = run_scrapy("crawl", "sets", "-a", f"start_urls={site.url()}",
                        "-s", "CRAWL_DELAY_MAX=0.5", "-s", "DOWNLOAD_DELAY=2",
                        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/crawler.db")  # fmt: skip
    assert result.returncode == 4, result.stderr[-3000:]
    assert "refuses to start: Contradictory settings: CRAWL_DELAY_MAX (0.5) is below" in (
        result.stderr
    )
    assert site.requests() == []


def test_requests_wait_for_their_host_in_the_frontier_not_in_download_slots(sites) -> None:  # type: ignore[no-untyped-def]
    # Twice as many hosts as download slots: were waiting requests to hold the slots, the
    # hosts would take turns two by two (Scrapy's own queue fails this test); waiting in
    # the frontier, all six keep their pace.
    hosts = [_site(sites, "User-agent: *\nCrawl-delay: 0.4\n", n=4) for _ in range(6)]
    result = crawl([h.url() for h in hosts], {"CONCURRENT_REQUESTS": 2})
    assert len(result.items) == 6 * 5
    first = min(h.requests()[0].time for h in hosts)
    last = max(h.requests()[-1].time for h in hosts)
    # robots.txt, the index and 4 pages per host: 5 gaps of 0.4 s, all hosts at once
    assert last - first < 5 * 0.4 * 1.6
    for host in hosts:
        assert host.requests()[0].time - first < 0.4
        assert min(gaps(host)) >= 0.4
    assert result.stat("politeness/waits_in_download_slot") <= 1
