"""Staleness and durations: pure rules of ``crawler schedule status``."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crawler.schedule.config import ScheduledCrawl, parse_duration
from crawler.schedule.status import (
    CrawlHealth,
    cron_interval,
    exit_code,
    is_stale_crawl,
    stale_after_for,
)

UTC = ZoneInfo("UTC")
NOW = datetime(2026, 12, 1, 12, 0)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(3600, 3600), (1.5, 1.5), ("90", 90), ("45s", 45), ("90m", 5400), ("18h", 64800),
     ("3d", 259200), ("1w", 604800), (" 2H ", 7200), ("0.5d", 43200)],
)  # fmt: skip
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "3 days", "h", "-1h", 0, True, "1y", [1]])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(
    ("cron", "interval"),
    [("17 */6 * * *", timedelta(hours=6)), ("0 3 * * *", timedelta(days=1)),
     ("*/5 * * * *", timedelta(minutes=5)), ("0 4 * * 1", timedelta(weeks=1))],
)  # fmt: skip
def test_cron_interval(cron: str, interval: timedelta) -> None:
    assert cron_interval(cron, NOW, UTC) == interval


def test_default_stale_after_is_three_intervals() -> None:
    crawl = ScheduledCrawl("radio", "sets", "17 */6 * * *")
    assert stale_after_for(crawl, NOW, UTC) == timedelta(hours=18)
    own = ScheduledCrawl("radio", "sets", "17 */6 * * *", stale_after=3600)
    assert stale_after_for(own, NOW, UTC) == timedelta(hours=1)


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("last_success", "first_due", "stale"),
    [
        (NOW - 17 * H, NOW - 100 * H, False),
        (NOW - 19 * H, NOW - 100 * H, True),
        (None, NOW - 17 * H, False),  # never succeeded, but not yet due + stale_after
        (None, NOW - 19 * H, True),
        (None, None, False),
    ],
)
def test_is_stale_crawl(
    last_success: datetime | None, first_due: datetime | None, stale: bool
) -> None:
    assert is_stale_crawl(last_success, first_due, 18 * H, NOW) is stale


def _health(outcome: str | None, stale: bool) -> CrawlHealth:
    return CrawlHealth("n", "sets", outcome, None, None, None, stale)


@pytest.mark.parametrize(
    ("crawls", "code"),
    [
        ([], 0),
        ([_health("ok", False), _health("partial", False), _health("refused", False)], 0),
        ([_health("ok", False), _health("failed", False)], 1),
        ([_health("failed", False), _health("ok", True)], 2),
        ([_health(None, True)], 2),
    ],
)
def test_exit_code(crawls: list[CrawlHealth], code: int) -> None:
    assert exit_code(crawls) == code
