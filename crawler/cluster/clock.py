"""The per-host clock in Redis: every worker of every crawl on this Redis asks the same one.

It implements :class:`crawler.politeness.clock.HostClock` with one hash per host and one
Lua script per operation (``scripts.py``), so a reservation is atomic across workers: no
two requests to a host, from anywhere, start closer than its gap. Retry-After pauses go
through :meth:`pause`, so one worker's 429 pauses the host for all.

Across workers a host has one request out at a time, and the next one's start counts
from that one's answer: a reservation made while another worker holds the host waits for
its release. Counting only from the previous *start* is not enough: a request that is
slow to arrive (a new connection) would reach the server closer to the next one than the
gap. A worker that dies holding a host frees it after ``CLUSTER_LEASE_TIMEOUT``. Within
one worker the download handler already orders requests, so its own reservations (a page
and its browser sub-requests, say) never wait for each other.

If Redis loses what the workers wrote (a restart without persistence, a flush), the clock
fails closed: a reservation finds the epoch key gone and raises :class:`RedisStateLost`
(nothing is sent), and the scheduler stops the crawl, to be resumed (``scheduler.py``).
While Redis does not answer at all, a reservation raises too, and nothing is sent.

Time is Redis' own (``TIME``). :meth:`now` must answer without a round trip (the download
handler calls it between awaits), so each worker measures its offset to the server once,
from the fastest of a few ``TIME`` calls, and again every few minutes. What that estimate
can be off by (half the round trip), twice over for two workers, plus
``CLUSTER_CLOCK_MARGIN``, is added to every gap: a wrong estimate may only lengthen one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import TYPE_CHECKING

import redis
import redis.asyncio

from crawler.cluster import scripts
from crawler.cluster.config import ClusterConfig, ClusterConfigError
from crawler.cluster.keys import SharedKeys
from crawler.cluster.quota import RedisQuotaCounter
from crawler.cluster.robots import RedisRobotsStore, RedisTdmRepStore
from crawler.politeness.clock import HostClock

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["RedisHostClock", "RedisStateLost", "mark_epoch", "measure_offset"]

logger = logging.getLogger(__name__)

_RECALIBRATE_S = 300.0
_HELD_POLL_S = (0.01, 0.2)
"""A reservation on a host another worker holds looks again after 10 ms, then doubling up
to 200 ms: the next start counts from that request's answer plus the host's gap (seconds),
so a slower look costs nothing, and a tight one (10 ms, for each of hundreds of hosts at a
crawl's start) kept Redis and the connection pool busy with nothing but looking."""
POOL_CONNECTIONS = 32
"""Connections to Redis per worker. Every download asks the clock two or three times, so
with ``CONCURRENT_REQUESTS`` in the hundreds that many calls can be under way at once: a
plain pool opens a connection for each (redis-py's async pool stops at 100 and then fails
the call with ``MaxConnectionsError``, failing the download). Each call takes a fraction of
a millisecond, so a few dozen connections carry any pace; callers beyond them wait their
turn for one (:class:`redis.asyncio.BlockingConnectionPool`)."""
POOL_WAIT_S = 30.0
"""Longest a call waits for a free connection before it fails as a Redis error."""


def _task() -> object:
    """Who holds a reservation: the asyncio task (the download handler runs each request
    in one), so that the task's release matches its reservation."""
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


class RedisStateLost(redis.RedisError):
    """Redis no longer holds what the workers wrote (it restarted empty, or was flushed):
    when each host was last asked is unknown, so no request may go out on its word."""


def mark_epoch(client: redis.Redis, keys: SharedKeys) -> None:
    """Say, in Redis, that workers use it (see :attr:`SharedKeys.epoch`)."""
    client.set(keys.epoch, "1", nx=True)


def measure_offset(client: redis.Redis, samples: int = 7) -> tuple[float, float]:
    """(server time - ``time.monotonic()``, uncertainty): from the fastest ``TIME`` call."""
    best: tuple[float, float] | None = None
    for _ in range(samples):
        before = time.monotonic()
        seconds, micros = client.time()
        after = time.monotonic()
        half = (after - before) / 2
        offset = seconds + micros / 1e6 - (before + half)
        if best is None or half < best[1]:
            best = (offset, half)
    assert best is not None
    return best


class RedisHostClock(HostClock):
    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.keys = SharedKeys(config.key_prefix)
        self._ttl = max(1, int(config.clock_ttl))
        sync = redis.Redis.from_url(config.redis_url)
        try:
            self._offset, self._uncertainty = measure_offset(sync)
            mark_epoch(sync, self.keys)
        except redis.RedisError as exc:
            raise ClusterConfigError(f"Redis at REDIS_URL does not answer: {exc}") from None
        finally:
            sync.close()
        self._calibrated_at = time.monotonic()
        self._client: redis.asyncio.Redis | None = None
        self._scripts: dict[str, object] = {}
        self._robots_store: RedisRobotsStore | None = None
        self._tdmrep_store: RedisTdmRepStore | None = None
        self._token = uuid.uuid4().hex
        self._holding: dict[str, list[object]] = {}
        """Per host, the tasks of this worker with a reservation not yet released."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisHostClock:
        return cls(ClusterConfig.from_settings(crawler.settings))

    @property
    def margin(self) -> float:
        return 2 * self._uncertainty + self.config.clock_margin

    def now(self) -> float:
        return time.monotonic() + self._offset

    def _connection(self) -> redis.asyncio.Redis:
        if self._client is None:
            # Made on first use, inside the crawl's event loop.
            pool = redis.asyncio.BlockingConnectionPool.from_url(
                self.config.redis_url, max_connections=POOL_CONNECTIONS, timeout=POOL_WAIT_S
            )
            self._client = redis.asyncio.Redis.from_pool(pool)  # closes the pool with it
        return self._client

    def daily_counter(self) -> RedisQuotaCounter:
        """Where daily quotas (site terms) are counted: in Redis, beside the clock, so that
        every worker of every crawl on this Redis counts against the same limit."""
        return RedisQuotaCounter(self._connection, self.keys)

    @property
    def robots_store(self) -> RedisRobotsStore:
        """Where ``crawler.politeness.robots`` shares robots.txt verdicts between workers."""
        if self._robots_store is None or self._robots_store.client is not self._connection():
            self._robots_store = RedisRobotsStore(self._connection(), self.keys)
        return self._robots_store

    @property
    def tdmrep_store(self) -> RedisTdmRepStore:
        """Where ``crawler.politeness.tdm`` shares tdmrep.json entries between workers."""
        if self._tdmrep_store is None or self._tdmrep_store.client is not self._connection():
            self._tdmrep_store = RedisTdmRepStore(self._connection(), self.keys)
        return self._tdmrep_store

    def _script(self, name: str) -> redis.commands.core.AsyncScript:
        self._connection()
        assert self._client is not None
        script = self._scripts.get(name)
        if script is None:
            script = self._client.register_script(getattr(scripts, name))
            self._scripts[name] = script
        return script  # type: ignore[return-value]

    async def _recalibrate(self) -> None:
        """Follow a slow drift between this machine's clock and the server's."""
        self._calibrated_at = time.monotonic()
        assert self._client is not None
        best: tuple[float, float] | None = None
        for _ in range(3):
            before = time.monotonic()
            seconds, micros = await self._client.time()
            after = time.monotonic()
            half = (after - before) / 2
            if best is None or half < best[1]:
                best = (seconds + micros / 1e6 - (before + half), half)
        assert best is not None
        self._offset, self._uncertainty = best

    async def reserve(self, host: str, gap: float) -> float:
        script = self._script("RESERVE")
        if time.monotonic() - self._calibrated_at > _RECALIBRATE_S:
            await self._recalibrate()
        args: list[float | int | str] = [
            gap + self.margin,
            self._ttl,
            self._token,
            self.config.lease_timeout,
        ]
        poll, longest = _HELD_POLL_S
        while True:
            answer = (
                await script(keys=[self.keys.clock(host), self.keys.epoch], args=args)
            ).decode()
            if answer == "lost":
                raise RedisStateLost(
                    "Redis lost the host clock (restarted empty?): nothing is sent to "
                    f"{host} on its word"
                )
            if not answer.startswith("wait:"):
                break
            # Another worker's request to this host is out: look again, less often as it lasts.
            await asyncio.sleep(min(float(answer[5:]), poll))
            poll = min(2 * poll, longest)
        holding = self._holding.setdefault(host, [])
        task = _task()
        if task is None or task not in holding:
            # A task reserving again (a pause began while it slept) replaces its own.
            holding.append(task)
        return float(answer)

    async def release(self, host: str, sent_at: float, done_at: float) -> None:
        script = self._script("RELEASE")
        holding = self._holding.get(host, [])
        task = _task()
        if task in holding:
            holding.remove(task)
        elif holding:  # released from another task than the one that reserved
            holding.pop(0)
        free = "0" if holding else "1"
        if not holding:
            self._holding.pop(host, None)
        await script(
            keys=[self.keys.clock(host)], args=[sent_at, done_at, self._ttl, self._token, free]
        )

    async def recall(self, host: str, sent_at: float, done_at: float, next_at: float) -> None:
        # RELEASE with "free" 0: the times, kept if later than the record's; no hold ends
        release = self._script("RELEASE")
        await release(
            keys=[self.keys.clock(host)], args=[sent_at, done_at, self._ttl, self._token, "0"]
        )
        if next_at > done_at:
            await self.pause(host, next_at)

    async def pause(self, host: str, until: float) -> None:
        script = self._script("PAUSE")
        await script(keys=[self.keys.clock(host)], args=[until, self._ttl])

    async def paused_until(self, host: str) -> float:
        script = self._script("PAUSED_UNTIL")
        return float(await script(keys=[self.keys.clock(host)], args=[]))

    async def close(self) -> None:
        if self._client is not None and self._holding:
            # Reservations never released (a request refused or cancelled after its
            # reservation): free the hosts now rather than after the hold runs out.
            script = self._script("UNHOLD")
            with contextlib.suppress(redis.RedisError):
                for host in list(self._holding):
                    await script(keys=[self.keys.clock(host)], args=[self._token])
            self._holding.clear()
        if self._client is not None:
            client, self._client = self._client, None
            self._scripts.clear()
            with contextlib.suppress(RuntimeError, asyncio.CancelledError):
                await client.aclose()  # RuntimeError: the loop is already stopping
