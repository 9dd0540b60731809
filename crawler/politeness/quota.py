"""Daily quotas: a site whose terms say ``daily_limit = N`` gets at most N requests a UTC day.

The count outlives the run: it is kept in the store (``host_quota_days``), or in Redis when
the crawl shares the cluster's clock, so a second run on the same day continues from what
is left and says so ("setlist.fm: 312 of 1,440 requests left today"). Every request to the
site counts, robots.txt included, unless its terms name ``quota_paths``. The download
handler asks :meth:`DailyQuotas.admit` before a request leaves; when the limit is reached
the host is left out for the rest of the run and the crawl's outcome is partial.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

    from crawler.politeness.terms import SiteTerms, TermsRegistry

__all__ = [
    "DailyQuotas",
    "MemoryQuotaCounter",
    "QuotaCounter",
    "StoreQuotaCounter",
    "utc_day",
]

logger = logging.getLogger(__name__)

REACHED_STAT = "politeness/quota/reached"
"""Sites whose daily limit this run reached (the outcome rule reads it)."""


def utc_day() -> str:
    return datetime.now(UTC).date().isoformat()


class QuotaCounter(Protocol):
    """Where the day's counts live: the store, Redis, or this process alone."""

    async def used(self, domain: str, day: str) -> int: ...

    async def take(self, domain: str, day: str, limit: int) -> int | None:
        """Count one request: the new count, or None when ``limit`` is reached."""
        ...


class MemoryQuotaCounter:
    """Counts for this run only: used when the crawl has no store."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}

    async def used(self, domain: str, day: str) -> int:
        return self._counts.get((domain, day), 0)

    async def take(self, domain: str, day: str, limit: int) -> int | None:
        used = self._counts.get((domain, day), 0)
        if used >= limit:
            return None
        self._counts[(domain, day)] = used + 1
        return used + 1


class StoreQuotaCounter:
    """Counts in the crawl's database (``DATABASE_URL``), shared by every run that uses it."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    async def used(self, domain: str, day: str) -> int:
        from crawler.store import session_factory
        from crawler.store.host_pace import quota_used

        with session_factory(self.database_url)() as session:
            return quota_used(session, domain, day)

    async def take(self, domain: str, day: str, limit: int) -> int | None:
        from crawler.store import session_factory
        from crawler.store.host_pace import take_quota

        with session_factory(self.database_url).begin() as session:
            return take_quota(session, domain, day, limit)


class DailyQuotas:
    def __init__(
        self, terms: TermsRegistry, counter: QuotaCounter, stats: StatsCollector | None
    ) -> None:
        self.terms = terms
        self.counter = counter
        self.stats = stats
        self._told: set[tuple[str, str]] = set()

    def entry(self, host: str) -> SiteTerms | None:
        """The terms entry whose daily limit applies to ``host``, if any."""
        entry = self.terms.lookup(host)
        return entry if entry is not None and entry.daily_limit is not None else None

    async def left(self, entry: SiteTerms, day: str | None = None) -> int:
        assert entry.daily_limit is not None
        used = await self.counter.used(entry.domain, day or utc_day())
        return max(0, entry.daily_limit - used)

    async def admit(self, host: str, path: str) -> str | None:
        """Count a request to ``host`` for ``path``: None when it may go, else why not."""
        entry = self.entry(host)
        if entry is None or not entry.counts(path):
            return None
        assert entry.daily_limit is not None
        day = utc_day()
        try:
            if (entry.domain, day) not in self._told:
                left = await self.left(entry, day)
                self._told.add((entry.domain, day))
                logger.info(
                    "%s: %s of %s requests left today (daily limit in its site terms)",
                    entry.domain,
                    f"{left:,}",
                    f"{entry.daily_limit:,}",
                )
            used = await self.counter.take(entry.domain, day, entry.daily_limit)
        except Exception as error:  # no count, no request: a quota is never guessed
            return f"the daily count of {entry.domain} could not be kept ({error})"
        if used is not None:
            if self.stats is not None:
                self.stats.set_value(f"politeness/quota/used/{entry.domain}", used)
            return None
        if self.stats is not None:
            self.stats.inc_value(REACHED_STAT)
        return (
            f"{entry.domain} allows {entry.daily_limit:,} requests a day and today's are used "
            f"(site terms); they start again at 00:00 UTC"
        )
