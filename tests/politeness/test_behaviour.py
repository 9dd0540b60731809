"""Retry-After, what pages say about themselves, site terms, identity, private hosts and
the summary: each against real loopback hosts."""

from __future__ import annotations

import itertools
import sqlite3

from crawler import PRODUCT
from crawler.devserver import Reply
from tests.conftest import run_cli
from tests.politeness.conftest import crawl, page, robots

OPEN = robots("User-agent: *\nCrawl-delay: 0.05\n")


def test_retry_after_pauses_the_host_then_retries(sites) -> None:  # type: ignore[no-untyped-def]
    answers = itertools.chain(
        [Reply(429, "slow down", headers={"Retry-After": "1"})], itertools.repeat(page())
    )
    site = sites.add({"/robots.txt": OPEN, "/": page(["/a"]), "/a": lambda _r: next(answers)})
    result = crawl([site.url()])
    log = site.requests()
    paths = [r.path for r in log]
    assert paths == ["/robots.txt", "/", "/a", "/a"]
    assert log[3].time - log[2].time >= 1.0  # nothing before Retry-After ran out
    assert result.stat("politeness/paused/retry_after") == 1
    assert len(result.items) == 2


def test_retry_after_above_the_cap_drops_the_host(sites) -> None:  # type: ignore[no-untyped-def]
    busy = sites.add(
        {
            "/robots.txt": OPEN,
            "/": page(["/a", "/b"]),
            "/a": Reply(503, "", headers={"Retry-After": "86400"}),
            "/b": page(),
        }
    )
    fine = sites.add({"/robots.txt": OPEN, "/": page()})
    result = crawl([busy.url(), fine.url()], {"RETRY_AFTER_MAX": 60})
    paths = [r.path for r in busy.requests()]
    assert paths[-1] == "/a" and paths.count("/a") == 1  # not retried; nothing after it
    assert f"Skipping host {busy.host} for this run" in result.log
    assert "RETRY_AFTER_MAX=60" in result.log
    assert [r.path for r in fine.requests()] == ["/robots.txt", "/"]


def test_errors_without_retry_after_back_off_exponentially(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add({"/robots.txt": OPEN, "/": page(["/a"]), "/a": Reply(503, "down")})
    result = crawl([site.url()], {"PACE_BACKOFF_START": 0.1, "RETRY_AFTER_TIMES": 3})
    times = [r.time for r in site.requests("/a")]
    waits = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4
    assert waits[0] >= 0.2 and waits[1] >= 0.4 and waits[2] >= 0.8  # 2x, 4x, 8x
    assert result.stat("politeness/backoff/no_retry_after") == 4


def test_meta_robots_nofollow_and_noindex(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add(
        {
            "/robots.txt": OPEN,
            "/": page(
                ["/nofollow", "/noindex", "/header", "/other-bot"],
                body='<a rel="nofollow" href="/rel">x</a>',
            ),
            "/nofollow": page(["/never"], head='<meta name="robots" content="nofollow">'),
            "/noindex": page(["/kept"], head=f'<meta name="{PRODUCT}" content="noindex">'),
            "/header": Reply(200, "<p>x</p>", headers={"X-Robots-Tag": f"{PRODUCT}: none"}),
            "/other-bot": Reply(200, "<p>x</p>", headers={"X-Robots-Tag": "otherbot: noindex"}),
            "/kept": page(),
            "/never": page(),
            "/rel": page(),
        }
    )
    result = crawl([site.url()])
    paths = {r.path for r in site.requests()}
    assert "/never" not in paths and "/rel" not in paths and "/kept" in paths
    urls = {u.rsplit("/", 1)[1] for u in result.urls()}
    assert urls == {"", "nofollow", "other-bot", "kept"}
    assert result.stat("politeness/pages/noindex") == 2
    assert result.stat("politeness/dropped/nofollow_requests") == 1


def test_noindex_items_can_be_kept(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add(
        {"/robots.txt": OPEN, "/": page(head='<meta name="robots" content="noindex">')}
    )
    assert len(crawl([site.url()], {"NOINDEX_DROPS_ITEMS": False}).items) == 1


def test_tdm_reservations_drop_items(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add(
        {
            "/robots.txt": OPEN,
            "/.well-known/tdmrep.json": Reply(
                200,
                '[{"location": "/reserved/*", "tdm-reservation": 1}]',
                content_type="application/json",
            ),
            "/": page(["/reserved/a", "/free", "/header"]),
            "/reserved/a": page(),
            "/free": page(),
            "/header": Reply(200, "<p>x</p>", headers={"tdm-reservation": "1"}),
        }
    )
    result = crawl([site.url()], {"TDMREP_FETCH_WELLKNOWN": True})
    assert {u.rsplit("/", 1)[1] for u in result.urls()} == {"", "free"}
    assert result.stat("politeness/dropped/tdm_items") == 2
    assert len(site.requests("/.well-known/tdmrep.json")) == 1


def test_site_terms_refuse_before_anything_is_sent(sites, tmp_path) -> None:  # type: ignore[no-untyped-def]
    only_exports = sites.add({"/robots.txt": OPEN, "/": page()})
    forbidden = sites.add({"/robots.txt": OPEN, "/": page()})
    terms = tmp_path / "sites.toml"
    terms.write_text(
        f'[[site]]\ndomain = "{only_exports.host}"\ncrawl = "exports-only"\n'
        f'[[site]]\ndomain = "{forbidden.host}"\ncrawl = "forbidden"\nnote = "asked us not to"\n'
    )
    result = crawl([only_exports.url(), forbidden.url()], {"SITE_POLICY_FILE": str(terms)})
    assert only_exports.requests() == [] and forbidden.requests() == []
    assert "scrapy crawl exports -a path=" in result.log
    assert "asked us not to" in result.log
    assert result.stat("politeness/refused/terms") == 2


def test_public_hosts_need_a_contact(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add({"/robots.txt": OPEN, "/": page()})
    # 192.0.2.1 is TEST-NET-1: never routed, and refused before any connection anyway.
    result = crawl([site.url(), "http://192.0.2.1/"], {"CONTACT": ""})
    assert "Set CONTACT to a URL or e-mail address" in result.log
    assert result.stat("politeness/refused/no_contact") == 1
    assert len(result.items) == 1  # loopback needs no contact


def test_user_agent_as_set_and_its_product_token_matches_robots(sites) -> None:  # type: ignore[no-untyped-def]
    body = "User-agent: *\nDisallow: /\n\nUser-agent: TestBot\nAllow: /\n"
    site = sites.add({"/robots.txt": robots(body), "/": page()})
    crawl([site.url()], {"USER_AGENT": "TestBot/1.0 (+mailto:me@example.org)"})
    assert {r.user_agent for r in site.requests()} == {"TestBot/1.0 (+mailto:me@example.org)"}
    assert len(site.requests()) == 2


def test_private_hosts_refused_unless_allowed(sites) -> None:  # type: ignore[no-untyped-def]
    site = sites.add({"/robots.txt": OPEN, "/": page()})
    result = crawl([site.url()], {"ALLOW_PRIVATE_HOSTS": False})
    assert site.requests() == []
    assert "set ALLOW_PRIVATE_HOSTS = True" in result.log
    assert result.stat("politeness/refused/private_host") == 1


def test_summary_block_and_crawl_run_row(sites, tmp_path) -> None:  # type: ignore[no-untyped-def]
    site = sites.add({"/robots.txt": OPEN, "/": page(["/a"]), "/a": page()})
    db = tmp_path / "store.db"
    result = crawl([site.url()], {"CRAWL_RUNS_RECORD": True, "DATABASE_URL": f"sqlite:///{db}"})
    assert "Politeness summary:" in result.log
    assert f"{site.host}: 0.0" in result.log or f"{site.host}: " in result.log
    with sqlite3.connect(db) as conn:
        (politeness,) = conn.execute("SELECT politeness FROM crawl_runs").fetchone()
    assert site.host in politeness and "gap_min" in politeness


def test_policy_command_explains_one_url(sites) -> None:  # type: ignore[no-untyped-def]
    body = f"User-agent: *\nDisallow: /\n\nUser-agent: {PRODUCT}\nCrawl-delay: 2\nDisallow: /x\n"
    site = sites.add({"/robots.txt": robots(body)})
    out = run_cli("policy", site.url("/sets/1"), "-s", "ALLOW_PRIVATE_HOSTS=True").check().stdout
    assert "robots.txt:   allowed" in out
    assert f"group: User-agent: {PRODUCT.lower()}" in out
    assert "2 s between requests, set by robots.txt Crawl-delay" in out
    assert "JavaScript:   never runs" in out
    denied = run_cli("policy", site.url("/x/1"), "-s", "ALLOW_PRIVATE_HOSTS=True").stdout
    assert "DISALLOWED" in denied
    refused = run_cli("policy", "https://www.1001tracklists.com/tracklist/1/").stdout
    assert "REFUSED before anything is sent" in refused and "exports-only" in refused


def test_policy_command_reads_the_robots_txt_a_crawl_kept(sites, tmp_path) -> None:  # type: ignore[no-untyped-def]
    answers = iter([robots("User-agent: *\nCrawl-delay: 0.5\nDisallow: /x\n")])
    site = sites.add(
        {"/robots.txt": lambda _r: next(answers, robots("User-agent: *\n")), "/": page()}
    )
    store = f"sqlite:///{tmp_path}/kept.db"
    crawl([site.url()], {"DATABASE_URL": store}, tmp_path=tmp_path)
    # robots.txt now allows everything, but the crawl's kept copy is what crawls obey today
    explain = ("policy", site.url("/x/1"), "-s", "ALLOW_PRIVATE_HOSTS=True", "-s")
    kept = run_cli(*explain, f"DATABASE_URL={store}")
    assert kept.returncode == 4, kept.stdout
    assert "robots.txt:   DISALLOWED (parsed: HTTP 200)" in kept.stdout
    assert "kept in the store from a crawl's fetch at" in kept.stdout
    assert "0.5 s between requests, set by robots.txt Crawl-delay" in kept.stdout
    assert len(site.requests("/robots.txt")) == 1  # nothing asked of the site
    fresh = run_cli(*explain, f"DATABASE_URL={store}", "-s", "ROBOTSTXT_CACHE_SECONDS=0")
    assert "robots.txt:   allowed" in fresh.stdout and "kept in the store" not in fresh.stdout
    elsewhere = run_cli(*explain, f"DATABASE_URL=sqlite:///{tmp_path}/none.db")
    assert "robots.txt:   allowed" in elsewhere.stdout
    assert not (tmp_path / "none.db").exists()  # explaining a URL creates no store
    assert len(site.requests("/robots.txt")) == 3


def test_tdmrep_verdicts_are_kept_in_the_store_for_the_next_run(sites, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = '[{"location": "/reserved/*", "tdm-reservation": 1}]'
    reserving = sites.add(
        {
            "/robots.txt": OPEN,
            "/.well-known/tdmrep.json": Reply(200, rules, content_type="application/json"),
            "/": page(["/reserved/a", "/free"]),
            "/reserved/a": page(),
            "/free": page(),
        }
    )
    silent = sites.add({"/robots.txt": OPEN, "/": page()})  # no tdmrep.json: a 404
    settings = {"TDMREP_FETCH_WELLKNOWN": True, "DATABASE_URL": f"sqlite:///{tmp_path}/s.db"}
    for run in (1, 2):
        result = crawl([reserving.url(), silent.url()], settings, tmp_path=tmp_path)
        assert {u.rsplit("/", 1)[1] for u in result.urls()} == {"", "free"}, run
        assert result.stat("politeness/dropped/tdm_items") == 1
    # asked once each, in the first run; the second run read both verdicts from the store
    assert len(reserving.requests("/.well-known/tdmrep.json")) == 1
    assert len(silent.requests("/.well-known/tdmrep.json")) == 1
    assert result.stat("politeness/tdmrep/from_store") == 2
