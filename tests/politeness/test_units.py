"""Pure parts: the clock's rules, the pace policy, settings validation, header parsing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from scrapy.settings import Settings

from crawler.politeness.clock import LocalHostClock
from crawler.politeness.config import PolitenessConfig, PolitenessConfigError, product_token
from crawler.politeness.meta_robots import header_directives
from crawler.politeness.pace import PacePolicy
from crawler.politeness.retry_after import parse_retry_after
from crawler.politeness.tdm import parse_tdmrep, reserved_by_rules
from crawler.politeness.terms import TermsError, TermsRegistry, parse_terms


def _settings(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def _config(**overrides: object) -> PolitenessConfig:
    return PolitenessConfig.from_settings(_settings(**overrides))


def test_clock_spaces_reservations_from_start_and_from_answer() -> None:
    async def scenario() -> None:
        clock = LocalHostClock()
        first = await clock.reserve("h", 0.5)
        second = await clock.reserve("h", 0.5)  # concurrent claim: after the first
        assert second == pytest.approx(first + 0.5)
        await clock.release("h", sent_at=second, done_at=second + 2.0)  # a slow answer
        assert await clock.reserve("h", 0.5) == pytest.approx(second + 2.5)
        other = await clock.reserve("elsewhere", 0.5)
        assert other < first + 0.1  # hosts don't wait for each other

    asyncio.run(scenario())


def test_clock_pause_holds_the_host() -> None:
    async def scenario() -> None:
        clock = LocalHostClock()
        until = clock.now() + 30
        await clock.pause("h", until)
        await clock.pause("h", until - 10)  # a shorter pause never shortens it
        assert await clock.reserve("h", 0.1) == until
        assert await clock.paused_until("h") == until

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("crawl_delay", "rate", "terms", "floor", "expected", "reason"),
    [
        (None, None, None, 0.0, 1.0, "CRAWL_DELAY_DEFAULT"),
        (0.25, None, None, 0.0, 0.25, "robots.txt Crawl-delay"),
        (0.25, 0.5, None, 0.0, 0.5, "robots.txt Request-rate"),
        (0.25, None, 3.0, 0.0, 3.0, "site terms"),
        (0.25, None, None, 2.0, 2.0, "DOWNLOAD_DELAY"),
        (None, 0.2, None, 0.0, 0.2, "robots.txt Request-rate"),
    ],
)
def test_gap_is_the_largest_rule(crawl_delay, rate, terms, floor, expected, reason) -> None:  # type: ignore[no-untyped-def]
    registry = TermsRegistry(
        parse_terms(f'[[site]]\ndomain="h.example"\nmin_delay={terms or 0}', "t")
    )
    pace = PacePolicy(_config(DOWNLOAD_DELAY=floor), registry if terms else None)
    pace.set_robots_rate("h.example", "http://h.example", crawl_delay, rate)
    why = pace.explain("h.example")
    assert why.allowed == expected
    assert why.reason.startswith(reason)
    assert pace.gap("h.example") == expected  # no warm-up: factor 1 from the start


def test_errors_double_the_gap_and_good_answers_bring_it_back() -> None:
    pace = PacePolicy(_config())
    pace.set_robots_rate("h", "http://h", 2.0, None)
    for _ in range(3):
        pace.observe("h", 0.01, error=True)
    assert pace.gap("h") == 16.0
    gaps = []
    for _ in range(12):
        pace.observe("h", 0.01, error=False)
        gaps.append(pace.gap("h"))
    assert gaps == sorted(gaps, reverse=True) and gaps[0] > 4 and gaps[-1] == 2.0


def test_a_host_that_stays_slow_slows_down_but_one_slow_answer_does_not() -> None:
    pace = PacePolicy(_config())
    pace.set_robots_rate("h", "http://h", 0.25, None)
    pace.observe("h", 0.01, error=False)
    pace.observe("h", 1.0, error=False)
    assert pace.gap("h") == 0.25
    for _ in range(30):
        pace.observe("h", 2.0, error=False)
    assert pace.gap("h") > 1.5


def test_a_slow_answer_is_no_error_a_short_gap_grows_to_the_response_time_not_a_second() -> None:
    """PACE_BACKOFF_START (1 s) is the unit of error back-off only: a host allowing 0.05 s
    whose pages take 0.07 s waited 1.4 s between pages when latency counted as back-off."""
    pace = PacePolicy(_config())
    pace.set_robots_rate("h", "http://h", 0.05, None)
    for _ in range(40):
        pace.observe("h", 0.07, error=False)
    assert pace.gap("h") == pytest.approx(0.07, abs=1e-3)
    assert pace.explain("h").gap == pace.gap("h") and pace.explain("h").factor == 1.0
    pace.observe("h", 0.07, error=True)  # an error backs off in real seconds
    assert pace.gap("h") == 2.0


def test_jitter_only_lengthens() -> None:
    pace = PacePolicy(_config(PACE_JITTER=0.5))
    pace.set_robots_rate("h", "http://h", 1.0, None)
    gaps = [pace.gap("h") for _ in range(200)]
    assert min(gaps) >= 1.0 and max(gaps) <= 1.5


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"CRAWL_DELAY_MAX": 0.5}, "CRAWL_DELAY_MAX"),
        ({"ROBOTSTXT_CACHE_SECONDS": 90000}, "ROBOTSTXT_CACHE_SECONDS"),
        ({"ROBOTSTXT_MAX_REDIRECTS": 2}, "ROBOTSTXT_MAX_REDIRECTS"),
        ({"PACE_JITTER": -0.1}, "PACE_JITTER"),
        # nan < 0 is false: CRAWL_DELAY_DEFAULT=nan passed, and paced at 0 s
        ({"CRAWL_DELAY_DEFAULT": "nan"}, "CRAWL_DELAY_DEFAULT is not a number"),
        ({"DOWNLOAD_DELAY": float("nan")}, "DOWNLOAD_DELAY is not a number"),
    ],
)
def test_contradictions_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(PolitenessConfigError, match=message):
        _config(**overrides)


def test_identity() -> None:
    config = _config(CONTACT="mailto:ops@example.org")
    assert config.user_agent.startswith("PoliteTracklistCrawler/")
    assert config.user_agent.endswith("; mailto:ops@example.org)")
    assert config.product == "PoliteTracklistCrawler" and config.has_contact
    assert not _config().has_contact
    mine = _config(USER_AGENT="MyBot/2.0 (+https://example.org/bot)")
    assert mine.user_agent == "MyBot/2.0 (+https://example.org/bot)"
    assert mine.product == "MyBot" and mine.has_contact
    assert product_token("Mozilla/5.0 (compatible)") == "Mozilla"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), ("0", 0.0), ("", None), ("soon", None), (None, None)],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_retry_after_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=90)
    assert parse_retry_after(format_datetime(when, usegmt=True)) == pytest.approx(90, abs=2)
    past = datetime.now(UTC) - timedelta(days=1)
    assert parse_retry_after(format_datetime(past, usegmt=True)) == 0.0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["noindex"], {"noindex"}),
        (["none"], {"noindex", "nofollow"}),
        (["NoFollow, noarchive"], {"nofollow"}),
        (["googlebot: noindex"], set()),
        (["politetracklistcrawler: noindex"], {"noindex"}),
        (["unavailable_after: 25 Jun 2010 15:00:00 PST"], set()),
    ],
)
def test_x_robots_tag(values: list[str], expected: set[str]) -> None:
    assert header_directives(values, "PoliteTracklistCrawler") == expected


def test_tdmrep_rules() -> None:
    rules = parse_tdmrep(
        b'[{"location": "/free/*", "tdm-reservation": 0},'
        b' {"location": "/*", "tdm-reservation": 1, "tdm-policy": "https://x/policy"}]'
    )
    assert not reserved_by_rules("/free/set-1", rules)
    assert reserved_by_rules("/sets/1", rules)
    assert parse_tdmrep(b"not json") == []


def test_terms_registry() -> None:
    shipped = TermsRegistry.load()
    entry = shipped.lookup("www.1001tracklists.com")
    assert entry is not None and entry.crawl == "exports-only"
    assert "scrapy crawl exports -a path=" in (entry.refusal() or "")
    assert shipped.lookup("example.org") is None
    with pytest.raises(TermsError, match="crawl must be one of"):
        parse_terms('[[site]]\ndomain = "x.org"\ncrawl = "maybe"\n', "user.toml")
    with pytest.raises(TermsError, match="unknown field"):
        parse_terms('[[site]]\ndomain = "x.org"\ndelay = 3\n', "user.toml")


def test_terms_lookup_is_the_longest_matching_domain() -> None:
    """The walk over a host's parent names finds what a scan of every entry would."""
    registry = TermsRegistry(
        parse_terms(
            '[[site]]\ndomain = "example.org"\ncrawl = "allowed"\n'
            '[[site]]\ndomain = "radio.example.org"\ncrawl = "forbidden"\n'
            '[[site]]\ndomain = "org"\ncrawl = "exports-only"\n',
            "user.toml",
        )
    )

    def scanned(host: str) -> str | None:
        matching = [e for e in registry if e.matches(host)]
        return max(matching, key=lambda e: len(e.domain)).domain if matching else None

    hosts = ["example.org", "WWW.Example.org.", "radio.example.org", "a.radio.example.org",
             "xradio.example.org", "org", "example.com", "localhost", "127.0.0.1", ""]  # fmt: skip
    for host in hosts:
        found = registry.lookup(host)
        assert (found.domain if found else None) == scanned(host), host
    assert registry.lookup("a.radio.example.org").crawl == "forbidden"  # type: ignore[union-attr]


def test_every_turn_taken_is_measured_whoever_takes_it() -> None:
    """The shortest gap per host (the evidence a run shows) is kept where turns are taken,
    so a browser's sub-requests count with the download handler's requests."""
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    from crawler.politeness.turns import Turns

    stats = MemoryStatsCollector(get_crawler())
    config = _config()
    pace = PacePolicy(config, TermsRegistry([]), stats)
    turns = Turns(LocalHostClock(), pace, config)

    async def scenario() -> None:
        await turns.take("h")  # the page, say
        await turns.take("h")  # a sub-request of it, by another sender

    asyncio.run(scenario())
    got = stats.get_stats()
    allowed = pace.allowed_gap("h")
    assert got["politeness/gap_allowed/h"] == allowed > 0
    assert got["politeness/gap_min/h"] >= allowed - 1e-6
    assert "politeness/gap_below_allowed" not in got
