"""A host's turns: the one authority everything that sends asks "may this host go now?".

The frontier asks when a host's turn comes (:meth:`Turns.ready_at`), the download handler
and the browser's sub-request gate count the request against the site's daily quota
(:meth:`Turns.count`), wait for its turn (:meth:`Turns.take`) and say how it went
(:meth:`Turns.done`), and a 429/503 with Retry-After pauses the host or leaves it out of
the run (:meth:`Turns.retry_after`). What every sender's request leaves behind is kept
here too: the shortest gaps a run shows, and each host's last request for the next run
(``host_memory.py``). Behind it are the clock (in-process
or Redis: when a request may start) and the pace (how far apart): the waiting loop on
them exists here only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from scrapy.utils.asyncio import sleep as _sleep

if TYPE_CHECKING:
    from crawler.politeness.clock import HostClock
    from crawler.politeness.config import PolitenessConfig
    from crawler.politeness.host_memory import HostMemory
    from crawler.politeness.pace import PacePolicy
    from crawler.politeness.quota import DailyQuotas

__all__ = ["HostDropped", "HostLocks", "Turns"]


class HostDropped(Exception):
    """The host is left out of this run (a Retry-After above the maximum, a daily limit,
    a Crawl-delay above the cap): no request to it goes."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"Host {host} skipped for this run: {reason}")
        self.host = host
        self.reason = reason


_EPSILON = 1e-6


class Turns:
    def __init__(
        self,
        clock: HostClock,
        pace: PacePolicy,
        config: PolitenessConfig,
        quotas: DailyQuotas | None = None,
        host_memory: HostMemory | None = None,
    ) -> None:
        self.clock = clock
        self.pace = pace
        self.config = config
        self.quotas = quotas
        self.host_memory = host_memory
        self._last_sent: dict[str, float] = {}
        self._allowed: dict[str, float] = {}
        """The gap each host asked for at its last turn (kept for the next run with it)."""

    def now(self) -> float:
        return self.clock.now()

    def dropped(self, host: str) -> str | None:
        """Why the host is left out of this run, or None."""
        return self.pace.dropped(host)

    def ready_at(self, host: str) -> float:
        """When the host's next request could start, as far as this process knows, without
        claiming it (the frontier's estimate; :meth:`take` decides)."""
        return self.clock.ready_at(host, self.pace.base_gap(host))

    async def count(self, host: str, path: str) -> str | None:
        """Count a request for ``path`` against the site's daily quota: None when it may
        go, else why not (the host is then left out for the rest of the run)."""
        refusal = await self.quotas.admit(host, path) if self.quotas is not None else None
        if refusal is not None:
            self.pace.drop(host, refusal, stat="daily_quota")
        return refusal

    async def take(self, host: str, sleep: Callable[[float], Awaitable[object]] = _sleep) -> float:
        """Wait for the host's turn on the clock, claim it and return the time it is sent.
        Raises :class:`HostDropped` when the host was left out meanwhile."""
        if self.host_memory is not None:  # the last run's last request, before the first
            await self.host_memory.recall(host)
        allowed = self._allowed[host] = self.pace.allowed_gap(host)
        sent = await self._take(host, sleep)
        self._note_gap(host, sent, allowed)
        return sent

    async def _take(self, host: str, sleep: Callable[[float], Awaitable[object]]) -> float:
        while True:
            start = await self.clock.reserve(host, self.pace.gap(host))
            wait = start - self.clock.now()
            if wait > 0:
                await sleep(wait)
            if (reason := self.pace.dropped(host)) is not None:
                raise HostDropped(host, reason)
            # A pause set while we slept (a Retry-After on another request) wins. Without a
            # sleep the reservation has just counted every pause (a round trip saved per
            # request on the cluster's clock).
            if wait <= 0 or await self.clock.paused_until(host) <= self.clock.now():
                return self.clock.now()

    def _note_gap(self, host: str, sent: float, allowed: float) -> None:
        """The evidence every run shows (stats, the runs page's chart): each host's shortest
        gap between two starts this process sent, with the gap allowed at that moment, and
        a count of gaps below the allowed one (none). Here, so that the browser's
        sub-requests are measured with the crawler's own."""
        stats = self.pace.stats
        last = self._last_sent.get(host)
        self._last_sent[host] = sent
        if last is None or stats is None:
            return
        gap = round(sent - last, 4)
        shortest = stats.get_value(f"politeness/gap_min/{host}")
        if shortest is None or gap < shortest:
            stats.set_value(f"politeness/gap_min/{host}", gap)
            stats.set_value(f"politeness/gap_allowed/{host}", round(allowed, 4))
        if gap + _EPSILON < allowed:
            stats.inc_value("politeness/gap_below_allowed")

    async def done(self, host: str, sent: float, done: float, error: bool | None) -> None:
        """The request left at ``sent`` and its answer (or error) came at ``done``: later
        turns count their gap from these. ``error`` None: the pace heard of it already."""
        await self.clock.release(host, sent, done)
        if error is not None:
            self.pace.observe(host, done - sent, error=error)
        if self.host_memory is not None:
            allowed = self._allowed.get(host)
            gap = self.pace.allowed_gap(host) if allowed is None else allowed
            self.host_memory.note(host, sent, done, gap)

    async def pause(self, host: str, seconds: float) -> None:
        """No request to the host for ``seconds`` (a site asking to wait)."""
        await self.clock.pause(host, self.clock.now() + seconds)

    async def retry_after(self, host: str, seconds: float, answered: str) -> bool:
        """A 429/503 asked to wait ``seconds``: the host is paused for every request, or
        left out of the run when that is above ``RETRY_AFTER_MAX`` (then False).
        ``answered`` says what answered, for the reason given."""
        limit = self.config.retry_after_max
        if seconds > limit:
            self.pace.drop(
                host,
                f"{answered} with Retry-After {seconds:.0f} s, above RETRY_AFTER_MAX={limit:.0f} s",
                stat="retry_after_above_max",
            )
            return False
        await self.pause(host, seconds)
        return True


class HostLocks:
    """One request in flight per host, for one sender (the handler; the browser's gate has
    its own, since a page being rendered holds the handler's while its sub-requests go).
    A host's lock is forgotten once nobody holds or waits for it, so hosts don't pile up."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        held = self._locks.get(host)
        lock, users = held if held is not None else (asyncio.Lock(), 0)
        self._locks[host] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[host]
            if users > 1:
                self._locks[host] = (lock, users - 1)
            else:
                del self._locks[host]
