"""Is each scheduled crawl healthy? Its last outcome, its last success, and staleness.

A crawl is *stale* when it has had no successful run (outcome ``ok`` or ``partial``) within
its ``stale_after`` (from the schedule file; default three times its cron interval). A
crawl that never succeeded is stale once its first due time plus ``stale_after`` has
passed; its first due time is when its first run started or, if it never ran, when the
schedule file was last written (a crawl is due as soon as it is in the file). Disabled
crawls are never stale. ``crawler schedule status`` exits 2 when any crawl is stale, else 1
when any last run failed, else 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from crawler.monitor.outcome import SUCCESSES, Outcome
from crawler.schedule.config import ScheduledCrawl
from crawler.store.models import CrawlRun

__all__ = [
    "CrawlHealth",
    "cron_interval",
    "exit_code",
    "is_stale_crawl",
    "last_success",
    "stale_after_for",
]

STALE_INTERVALS = 3


@dataclass(frozen=True)
class CrawlHealth:
    name: str
    spider: str
    last_outcome: str | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    next_due_at: datetime | None
    stale: bool

    def as_json(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            if moment is None:
                return None
            return moment.replace(tzinfo=UTC).isoformat(timespec="seconds")

        return {
            "name": self.name,
            "spider": self.spider,
            "last_outcome": self.last_outcome,
            "last_run_at": when(self.last_run_at),
            "last_success_at": when(self.last_success_at),
            "next_due_at": when(self.next_due_at),
            "stale": self.stale,
        }


def cron_interval(cron: str, now: datetime, zone: ZoneInfo) -> timedelta:
    """The gap between the next two slots of ``cron`` after ``now`` (naive UTC)."""
    it = croniter(cron, now.replace(tzinfo=UTC).astimezone(zone))
    first, second = it.get_next(datetime), it.get_next(datetime)
    return second - first


def stale_after_for(crawl: ScheduledCrawl, now: datetime, zone: ZoneInfo) -> timedelta:
    if crawl.stale_after is not None:
        return timedelta(seconds=crawl.stale_after)
    return STALE_INTERVALS * cron_interval(crawl.cron, now, zone)


def is_stale_crawl(
    last_success_at: datetime | None,
    first_due_at: datetime | None,
    stale_after: timedelta,
    now: datetime,
) -> bool:
    """No success within ``stale_after``; never succeeded: first due + ``stale_after`` passed."""
    if last_success_at is not None:
        return now - last_success_at > stale_after
    return first_due_at is not None and now > first_due_at + stale_after


def _succeeded() -> Any:
    # Rows written before outcomes were recorded: a run Scrapy "finished" counts as one.
    return or_(
        CrawlRun.outcome.in_([o.value for o in SUCCESSES]),
        and_(CrawlRun.outcome.is_(None), CrawlRun.finish_reason == "finished"),
    )


def last_success(session: Session, name: str) -> CrawlRun | None:
    stmt = select(CrawlRun).where(CrawlRun.name == name, _succeeded())
    return session.scalars(stmt.order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())).first()


def first_run_started(session: Session, name: str) -> datetime | None:
    return session.scalar(select(func.min(CrawlRun.started_at)).where(CrawlRun.name == name))


def exit_code(crawls: Iterable[CrawlHealth]) -> int:
    crawls = list(crawls)
    if any(c.stale for c in crawls):
        return 2
    if any(c.last_outcome == Outcome.FAILED.value for c in crawls):
        return 1
    return 0
