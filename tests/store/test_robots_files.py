"""robots.txt verdicts in the store, on SQLite and PostgreSQL, and what reading them back gives."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from crawler.politeness import robots_rules
from crawler.store import session_factory
from crawler.store.deferred import DeferredWrites
from crawler.store.robots_files import (
    KeptRobots,
    load_robots_file,
    load_robots_files,
    save_robots_files,
)

NOW = datetime(2026, 12, 7, 12, 0, 0)
DAY = timedelta(days=1)
ROBOTS = (
    b"User-agent: *\nCrawl-delay: 3\nDisallow: /private\n"
    b"Content-Usage: train-ai=n\nSitemap: https://a.example/sitemap.xml\n"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return str(request.getfixturevalue("postgres_url"))


def _kept(rules: robots_rules.RobotsFile, at: datetime) -> KeptRobots:
    return KeptRobots(rules.kind, rules.reason, rules.source, rules.truncated, at)


def test_fresh_verdicts_at_once_up_to_a_limit_and_one_by_one(store_url: str) -> None:
    parsed = robots_rules.parse_robots(ROBOTS)
    unavailable = robots_rules.allow_all("HTTP 404: unavailable, all allowed")
    with session_factory(store_url).begin() as session:
        assert load_robots_files(session, NOW, DAY, 10) == {}
        save_robots_files(
            session,
            {
                "https://a.example": _kept(parsed, NOW - timedelta(hours=1)),
                "https://b.example": _kept(unavailable, NOW - timedelta(hours=2)),
                "https://old.example": _kept(parsed, NOW - 2 * DAY),
            },
        )
    with session_factory(store_url)() as session:
        fresh = load_robots_files(session, NOW, DAY, 2)
        assert fresh is not None and set(fresh) == {"https://a.example", "https://b.example"}
        assert fresh["https://a.example"].source == ROBOTS
        assert fresh["https://b.example"] == _kept(unavailable, NOW - timedelta(hours=2))
        assert load_robots_files(session, NOW, DAY, 1) is None  # more: origin by origin
        assert (
            load_robots_file(session, "https://a.example", NOW, DAY) == fresh["https://a.example"]
        )
        assert load_robots_file(session, "https://old.example", NOW, DAY) is None
        assert load_robots_file(session, "https://new.example", NOW, DAY) is None


def test_a_later_fetch_replaces_the_kept_one(store_url: str) -> None:
    first = _kept(robots_rules.parse_robots(ROBOTS), NOW - timedelta(hours=3))
    later = _kept(robots_rules.parse_robots(b"User-agent: *\nDisallow: /\n"), NOW)
    for verdict in (first, later):
        with session_factory(store_url).begin() as session:
            save_robots_files(session, {"https://a.example": verdict})
    with session_factory(store_url)() as session:
        assert load_robots_file(session, "https://a.example", NOW, DAY) == later


def test_a_kept_file_parsed_again_says_what_it_said() -> None:
    judged = robots_rules.parse_robots(ROBOTS)
    again = robots_rules.reparse(judged.kind, judged.reason, judged.source, judged.truncated)
    for url in ("https://a.example/sets/1", "https://a.example/private/x"):
        assert again.allowed(url, "crawler") == judged.allowed(url, "crawler")
    assert not again.allowed("https://a.example/private/x", "crawler")
    assert again.crawl_delay("crawler") == 3.0
    assert again.usage == judged.usage == (("/", "train-ai=n"),)
    assert again.parser is not None and list(again.parser.sitemaps) == [
        "https://a.example/sitemap.xml"
    ]
    assert (again.kind, again.reason) == ("parsed", "HTTP 200")


def test_a_truncated_file_keeps_only_what_was_parsed() -> None:
    body = b"User-agent: *\nDisallow: /a\n" + b"#" * 600_000 + b"\nDisallow: /b\n"
    judged = robots_rules.parse_robots(body, max_bytes=500 * 1024)
    assert judged.truncated and len(judged.source) == 500 * 1024
    again = robots_rules.reparse(judged.kind, judged.reason, judged.source, judged.truncated)
    assert again.truncated and again.reason == judged.reason
    assert not again.allowed("https://a.example/a", "crawler")
    assert again.allowed("https://a.example/b", "crawler")


def test_an_unreachable_verdict_is_not_one_to_read_back() -> None:
    with pytest.raises(ValueError, match="disallow_all"):
        robots_rules.reparse("disallow_all", "HTTP 503", b"", False)


def test_writes_kept_together_and_a_store_away_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path}/store.db"
    verdict = _kept(robots_rules.parse_robots(ROBOTS), NOW)
    writes: DeferredWrites[KeptRobots] = DeferredWrites(
        url, save_robots_files, "robots.txt verdicts", every=3600
    )
    writes.put("https://a.example", verdict)  # the first is written at once
    writes.put("https://b.example", verdict)  # the next wait for the flush
    with session_factory(url)() as session:
        assert set(load_robots_files(session, NOW, DAY, 10) or {}) == {"https://a.example"}
    writes.flush()
    with session_factory(url)() as session:
        assert len(load_robots_files(session, NOW, DAY, 10) or {}) == 2

    away = "postgresql+psycopg://postgres@127.0.0.1:1/none"  # nothing listens there
    failing: DeferredWrites[KeptRobots] = DeferredWrites(
        away, save_robots_files, "robots.txt verdicts"
    )
    with caplog.at_level(logging.DEBUG, logger="crawler.store.deferred"):
        for origin in ("https://a.example", "https://b.example"):
            failing.put(origin, verdict)
            failing.flush()
    levels = [record.levelno for record in caplog.records]
    assert levels == [logging.WARNING, logging.DEBUG], caplog.text
    assert "robots.txt verdicts of 1 hosts not kept in the store" in caplog.records[0].message
