"""robots.txt per RFC 9309, against real loopback hosts."""

from __future__ import annotations

import itertools

import pytest

from crawler import PRODUCT
from crawler.devserver import Reply
from crawler.politeness.robots_rules import classify_status, parse_robots
from tests.politeness.conftest import crawl, page, robots

PAGES = {"/": page(["/a", "/private/b"]), "/a": page(), "/private/b": page()}


def paths(site) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.path for r in site.requests()]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "parse"),
        (204, "parse"),
        (301, "redirect"),
        (308, "redirect"),
        (401, "allow_all"),
        (403, "allow_all"),
        (404, "allow_all"),
        (410, "allow_all"),
        (429, "unreachable"),
        (500, "unreachable"),
        (503, "unreachable"),
    ],
)
def test_status_decides(status: int, outcome: str) -> None:
    assert classify_status(status) == outcome


def test_groups_match_on_the_product_token() -> None:
    body = f"User-agent: *\nDisallow: /\n\nUser-agent: {PRODUCT.lower()}\nDisallow: /private\n"
    rules = parse_robots(body.encode())
    assert rules.allowed("http://h/a", PRODUCT)
    assert not rules.allowed("http://h/private/x", PRODUCT)
    assert not rules.allowed("http://h/a", "OtherBot")
    assert rules.group(PRODUCT) == PRODUCT.lower()


def test_2xx_is_obeyed_for_our_group(sites) -> None:  # type: ignore[no-untyped-def]
    body = f"User-agent: *\nDisallow: /\n\nUser-agent: {PRODUCT}\nDisallow: /private\n"
    site = sites.add({"/robots.txt": robots(body), **PAGES})
    result = crawl([site.url()])
    assert sorted(paths(site)) == ["/", "/a", "/robots.txt"]
    assert result.stat("politeness/refused/robots") == 1


def test_4xx_allows_everything_whatever_the_body(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add({"/robots.txt": robots("User-agent: *\nDisallow: /\n", status=404), **PAGES})
    crawl([site.url()])
    assert sorted(paths(site)) == ["/", "/a", "/private/b", "/robots.txt"]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_5xx_and_429_disallow_everything_and_retry_later(sites, status: int) -> None:  # type: ignore[no-untyped-def]
    site = sites.add({"/robots.txt": robots("", status=status), **PAGES})
    result = crawl([site.url()], {"ROBOTSTXT_RETRY_DELAY": 0.2, "ROBOTSTXT_RETRY_TIMES": 1})
    assert paths(site) == ["/robots.txt", "/robots.txt"]  # tried again after a back-off
    assert result.stat("politeness/refused/robots") == 1
    assert "robots.txt is unreachable" in result.log


def test_unreachable_robots_retried_then_obeyed(sites) -> None:  # type: ignore[no-untyped-def]
    answers = itertools.chain([Reply(503, "busy")], itertools.repeat(robots("User-agent: *\n")))
    site = sites.add({"/robots.txt": lambda _r: next(answers), **PAGES})
    result = crawl([site.url()], {"ROBOTSTXT_RETRY_DELAY": 0.2})
    assert paths(site)[:2] == ["/robots.txt", "/robots.txt"]
    assert len(result.items) == 3


def test_network_error_disallows(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add(PAGES)
    site.stop()  # nothing listens any more: connection refused
    result = crawl([site.url()], {"ROBOTSTXT_RETRY_DELAY": 0.1, "ROBOTSTXT_RETRY_TIMES": 1})
    assert result.stat("politeness/robots/unreachable") == 2
    assert result.stat("politeness/refused/robots") == 1
    assert result.items == []


def _redirects(n: int) -> dict[str, Reply]:
    routes = {f"/r{i}": Reply(302, "", headers={"Location": f"/r{i + 1}"}) for i in range(n)}
    routes[f"/r{n}"] = robots("User-agent: *\nDisallow: /private\n")
    routes["/robots.txt"] = Reply(301, "", headers={"Location": "/r0"})
    return routes


def test_five_redirects_are_followed(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add({**_redirects(4), **PAGES})  # robots.txt + 4 hops = 5 redirects
    crawl([site.url()])
    assert "/private/b" not in paths(site)
    assert "/r4" in paths(site)


def test_more_than_five_redirects_mean_unavailable(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add({**_redirects(8), **PAGES})
    crawl([site.url()])
    assert "/private/b" in paths(site)  # unavailable: everything allowed
    assert "/r5" not in paths(site)


def test_only_the_first_500_kib_are_parsed(sites) -> None:  # type: ignore[no-untyped-def]
    padding = "# " + "x" * 1000 + "\n"
    body = "User-agent: *\nDisallow: /private\n" + padding * 600 + "Disallow: /a\n"
    site = sites.add({"/robots.txt": robots(body), **PAGES})
    crawl([site.url()])
    assert sorted(paths(site)) == ["/", "/a", "/robots.txt"]


def test_cache_expires_and_failed_refetch_keeps_the_copy(sites) -> None:  # type: ignore[no-untyped-def]
    answers = itertools.chain(
        [robots("User-agent: *\nCrawl-delay: 0.15\nDisallow: /private\n")],
        itertools.repeat(Reply(500, "down")),
    )
    links = [f"/p{i}" for i in range(8)] + ["/private/z"]
    routes = {"/robots.txt": lambda _r: next(answers), "/": page(links)}
    routes.update({p: page() for p in links})
    site = sites.add(routes)
    # Each failed re-fetch is an error the pace backs off from (1, 2, 4 ... 16 s by
    # default); smaller steps keep this test about the cache, in seconds, not a minute.
    settings = {"ROBOTSTXT_CACHE_SECONDS": 0.4, "ROBOTSTXT_RETRY_DELAY": 0.3,
                "PACE_BACKOFF_START": 0.2, "PACE_FACTOR_MAX": 4}  # fmt: skip
    result = crawl([site.url()], settings)
    seen = paths(site)
    assert seen.count("/robots.txt") >= 2  # re-fetched after the cache time
    assert "/private/z" not in seen  # the cached copy still rules
    assert len(result.items) == 9


def test_a_cache_shorter_than_the_gap_still_lets_each_request_go(sites) -> None:  # type: ignore[no-untyped-def]
    # Crawl-delay 0.5 s, cache 0 s: each fetch has expired by the host's next turn. The
    # verdict fetched for a request is in force for that request; the crawl used to
    # fetch robots.txt again and again and never send a page.
    links = ["/a", "/b"]
    routes = {"/robots.txt": robots("User-agent: *\nCrawl-delay: 0.5\n"), "/": page(links)}
    routes.update({p: page() for p in links})
    site = sites.add(routes)
    result = crawl([site.url()], {"ROBOTSTXT_CACHE_SECONDS": 0}, timeout=30)
    seen = paths(site)
    assert sorted(p for p in seen if p != "/robots.txt") == ["/", "/a", "/b"]
    assert seen.count("/robots.txt") == 3  # read again before each page, as asked
    assert len(result.items) == 3


def test_robots_txt_carries_the_same_user_agent(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add({"/robots.txt": robots("User-agent: *\n"), **PAGES})
    crawl([site.url()], {"CONTACT": "mailto:ops@example.org"})
    agents = {r.user_agent for r in site.requests()}
    assert len(agents) == 1
    (agent,) = agents
    assert agent.startswith(f"{PRODUCT}/") and "mailto:ops@example.org" in agent
