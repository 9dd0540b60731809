"""The cluster scheduler: Scrapy's scheduler interface over the shared frontier.

Why not scrapy-redis' ``Scheduler`` itself (0.9.1 runs on Scrapy 2.19, with deprecation
warnings)? Measured with it: seeds carry ``dont_filter=True`` and are fetched once per
worker; each worker pops up to ``CONCURRENT_REQUESTS`` requests and sits on them while
their hosts' delays run; a request popped by a worker that dies is gone; with
``SCHEDULER_PERSIST=False`` the first worker to close deletes the queue and the filter
under the others; and nothing spaces requests to one host across workers. So this keeps
its pieces (connection settings, fingerprints, serializer) and replaces the queue:

- every request goes through the shared filter, seeds included; ``dont_filter`` is
  honoured for a retry or redirect of a request this worker holds (it *replaces* that
  lease, in one step) and for requests a callback marks so on purpose, never for seeds;
- :meth:`next_request` leases only requests whose hosts may be sent to now (a few in one
  step, for the engine's next calls), and at most one per host across the cluster; when
  none is ready it wakes the engine again when the next host will be (or after
  ``CLUSTER_POLL_INTERVAL``), so nothing is hoarded;
- a lease ends when the engine has fully handled the request (``crawler/_engine.py``); until
  then the worker extends it, and if the worker dies it runs out and the request goes
  back to its host's queue;
- the spider stops once the whole frontier has been empty, with nothing leased anywhere,
  for ``IDLE_TIMEOUT`` seconds since the last activity of any worker; closing never
  deletes shared state (``python -m crawler enqueue --reset`` does, on purpose).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import redis
from scrapy import signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet import task

from crawler import _engine
from crawler.cluster.clock import mark_epoch
from crawler.cluster.config import ClusterConfig, ClusterConfigError, check_crawl_name
from crawler.cluster.dupefilter import ClusterDupeFilter, fingerprint
from crawler.cluster.frontier import ALL_BUSY, EMPTY, Enqueued, Frontier, Leased
from crawler.cluster.keys import CrawlKeys
from crawler.cluster.serialize import request_from_bytes, request_to_bytes

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["LEASE_META", "ClusterScheduler", "crawl_name"]

logger = logging.getLogger(__name__)

LEASE_META = "cluster_lease"
"""Request meta key: the lease under which this worker holds the request."""
_LEASE_MOST = 16
"""Requests leased in one script at most, each from a host that may be sent to now: at a
crawl's start every host is ready at once, and one round trip each held the last hosts'
first requests back by seconds. The engine takes them at once, unless its downloader is
full: then these few hosts wait for this worker, leased, as one host did before."""
_SEND_AT = 200
"""Requests enqueued that are sent at once, without waiting for the next lease (a callback
yielding thousands of links), and the most sent in one script."""
STATE_LOST = "redis_state_lost"
"""The finish reason of a crawl stopped because Redis lost the cluster's state."""


@runtime_checkable
class TakesSeedHosts(Protocol):
    """A spider that follows links only on the hosts it was seeded with, and so wants to
    hear of seeds fed by other workers or ``crawler enqueue`` (``SetsSpider``)."""

    def add_seed_host(self, host: str) -> None: ...


def crawl_name(spider: Spider) -> str:
    """``-a crawl=NAME``, else the ``CLUSTER_CRAWL`` setting, else the spider's name."""
    name = getattr(spider, "crawl", None) or spider.settings.get("CLUSTER_CRAWL") or spider.name
    return check_crawl_name(str(name))


@dataclass
class _Lease:
    request: Request
    host: str
    downloading: bool = True
    """False once the response is in: requests enqueued after that are follow-ups."""
    released: bool = False
    """The host has been handed back for scheduling (its request is off the network)."""


class ClusterScheduler(BaseScheduler):
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.config = ClusterConfig.from_settings(crawler.settings)
        self.stats = crawler.stats
        df = build_from_crawler(load_object(crawler.settings["DUPEFILTER_CLASS"]), crawler)
        self.df = df if isinstance(df, ClusterDupeFilter) else None
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.spider: Spider | None = None
        self.frontier: Frontier | None = None
        self._leases: dict[str, _Lease] = {}
        self._pending = True
        self._wake_call: asyncio.TimerHandle | None = None
        self._ticker: task.LoopingCall | None = None
        self._opened_at = time.monotonic()
        self._extended_at = self._opened_at
        self._known_hosts: set[str] = set()
        self._ready: deque[Request] = deque()
        """Leased together with the one handed to the engine, for its next calls: at most
        ``_LEASE_MOST`` at once, each from a host that may be sent to now."""
        self._released: list[str] = []
        """Hosts whose request is off the network, not yet said to Redis: said with the next
        lease (one round trip less a request), or before any lease is acknowledged."""
        self._unsent: list[tuple[Request, Enqueued]] = []
        """Requests enqueued, to be queued in Redis with the next call (and kept while
        Redis does not answer)."""
        self._not_seed_hosts: set[str] = set()
        self._epoch = ""
        self._lost = False
        self._closing: asyncio.Future[None] | None = None
        """Checked and not (yet) a seed's host; forgotten every lease time-out / 4."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterScheduler:
        return cls(crawler)

    # -- life cycle -----------------------------------------------------------------------
    def open(self, spider: Spider) -> None:
        self.spider = spider
        keys = CrawlKeys(self.config.key_prefix, crawl_name(spider))
        client = redis.Redis.from_url(self.config.redis_url)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ClusterConfigError(f"Redis at REDIS_URL does not answer: {exc}") from None
        self.frontier = Frontier(client, keys, self.config.lease_timeout)
        self._epoch = keys.shared.epoch
        mark_epoch(client, keys.shared)
        if self.df is not None:
            self.df.key = keys.seen
        _engine.check(self.crawler)
        self.crawler.signals.connect(self._left_downloader, signals.request_left_downloader)
        self.crawler.signals.connect(self._response_received, signals.response_received)
        self.crawler.signals.connect(self._spider_idle, signals.spider_idle)
        self._opened_at = time.monotonic()
        self._ticker = task.LoopingCall(self._tick)
        self._ticker.start(self.config.poll_interval, now=False)
        status = self.frontier.status()
        logger.info(
            "Cluster crawl %r (worker %s): %d host(s) queued or busy, %d request(s) leased",
            keys.crawl,
            self.worker,
            status.hosts,
            status.leases,
        )

    def close(self, reason: str) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        if self._wake_call is not None:
            self._wake_call.cancel()
        if self.frontier is None:
            return
        try:
            self._send_unsent()
        except redis.RedisError as exc:
            for request, _entry in self._unsent:
                logger.error("Not queued (Redis does not answer: %s): %s", exc, request.url)
            raise
        self._finish_done()
        if self.stats is not None and not self._lost:
            # The crawl's size, for the outcome of a worker the others left nothing to.
            with contextlib.suppress(redis.RedisError):
                self.stats.set_value("cluster/crawl_requests", self.frontier.seen())
        if self._leases:
            # Closing before handling them (shutdown, error): straight back to the frontier.
            returned = self.frontier.give_back(self._leases)
            self._inc("cluster/given_back", returned)
            logger.info("Gave %d unfinished request(s) back to the frontier", returned)
            self._leases.clear()
            self._ready.clear()
        self.frontier.client.close()

    # -- Scrapy's scheduler interface -----------------------------------------------------
    def has_pending_requests(self) -> bool:
        # False when the frontier had nothing queued at the last look: the engine then
        # raises spider_idle, where the cluster-wide idle rule decides.
        return self._pending or bool(self._ready)

    def enqueue_request(self, request: Request) -> bool:
        assert self.frontier is not None
        host = urlparse_cached(request).hostname or ""
        lease_id = request.meta.pop(LEASE_META, None)
        lease = self._leases.get(lease_id) if lease_id else None
        replaces = lease_id if lease is not None and lease.downloading else None
        seed = bool(request.meta.get("is_start_request"))
        # The policy: retries/redirects of a held request skip the filter only if marked
        # dont_filter; seeds never skip it (each URL once per crawl, however many workers).
        filtered = not request.dont_filter or (seed and replaces is None)
        key = fingerprint(request) if filtered else None
        payload = request_to_bytes(request, self.spider)
        if replaces is not None:
            del self._leases[replaces]
            self._inc("cluster/replaced")
        entry = Enqueued(host, payload, key, replaces is not None, replaces, seed)
        self._unsent.append((request, entry))
        self._pending = True
        if len(self._unsent) >= _SEND_AT:
            try:
                self._send_unsent()
            except redis.RedisError as exc:
                logger.warning("Redis error, requests kept until Redis answers: %s", exc)
        # Queued or not (already seen) is known once sent: a duplicate is then logged by
        # the filter and signalled as dropped, as the engine would have.
        return True

    def _send_unsent(self) -> None:
        """Queue the requests enqueued since the last call: one script for all of them,
        before any lease is asked for or acknowledged (a lease is acknowledged only with
        its follow-ups queued). Kept while Redis does not answer."""
        assert self.frontier is not None
        if not self._unsent:
            return
        self._send_released()  # some requests end leases (retries): their hosts first
        while self._unsent:
            batch = self._unsent[:_SEND_AT]
            queued = self.frontier.add_many([entry for _request, entry in batch])
            del self._unsent[: len(batch)]
            for (request, entry), ok in zip(batch, queued, strict=True):
                self._sent(request, entry, ok)

    def _sent(self, request: Request, entry: Enqueued, queued: bool) -> None:
        if entry.seed:
            self._seed_host(entry.host)
        if queued:
            self._inc("cluster/enqueued")
            return
        if self.df is not None:
            self.df.log(request, self.spider)
        self.crawler.signals.send_catch_log(
            signals.request_dropped, request=request, spider=self.spider
        )

    def next_request(self) -> Request | None:
        assert self.frontier is not None
        if self._ready:
            return self._ready.popleft()
        lease_id = uuid.uuid4().hex
        try:
            self._send_unsent()
            result = self.frontier.lease_many(lease_id, self._released, _LEASE_MOST)
            self._released.clear()
        except redis.RedisError as exc:
            logger.warning("Redis error while asking the frontier (will retry): %s", exc)
            self._wake_in(self.config.poll_interval * 10)
            return None
        if isinstance(result, list):
            self._ready.extend(r for r in map(self._take, result) if r is not None)
            if self._ready:
                return self._ready.popleft()
            self._wake_in(0.0)  # all unreadable (kept aside): ask again
            return None
        self._pending = result not in (EMPTY, ALL_BUSY)
        wait = result if self._pending else self.config.poll_interval
        self._wake_in(min(wait, self.config.poll_interval))
        return None

    def _take(self, leased: Leased) -> Request | None:
        assert self.frontier is not None
        try:
            request = request_from_bytes(leased.payload, self.spider)
        except Exception as exc:  # a payload from another version of the spider, say
            logger.error("Unreadable request in the frontier (kept aside): %r", exc)
            self.frontier.bury(leased.payload)
            self.frontier.release([leased.host])
            self.frontier.ack([leased.lease_id])
            self._inc("cluster/unreadable")
            return None
        request.meta[LEASE_META] = leased.lease_id
        self._leases[leased.lease_id] = _Lease(request, leased.host)
        self._allow_host(leased.host)
        self._inc("cluster/leased")
        return request

    # -- signals ----------------------------------------------------------------------------
    def _left_downloader(self, request: Request, **_: Any) -> None:
        lease = self._leases.get(request.meta.get(LEASE_META, ""))
        if lease is not None and lease.request is request and not lease.released:
            self._release(lease)

    def _response_received(self, response: Response, request: Request, **_: Any) -> None:
        lease = self._leases.get(request.meta.get(LEASE_META, ""))
        if lease is not None:
            lease.downloading = False

    def _spider_idle(self, spider: Spider) -> None:
        """Stop only when the whole cluster has had nothing to do for IDLE_TIMEOUT."""
        assert self.frontier is not None
        with contextlib.suppress(redis.RedisError):
            self._send_unsent()
        if self._unsent or self._ready:
            raise DontCloseSpider
        if self._state_lost():
            raise CloseSpider(STATE_LOST)  # an empty frontier here proves nothing
        self._finish_done()
        status = self.frontier.status()
        # Idle since the last activity anywhere, or since this worker started if later:
        # a worker started before the feed waits for it.
        quiet = min(status.idle_for, time.monotonic() - self._opened_at)
        if status.empty and quiet >= self.config.idle_timeout:
            logger.info(
                "Frontier empty and idle for %.1f s (IDLE_TIMEOUT=%g): stopping",
                quiet,
                self.config.idle_timeout,
            )
            return
        raise DontCloseSpider

    # -- housekeeping -------------------------------------------------------------------------
    def _tick(self) -> None:
        """Every CLUSTER_POLL_INTERVAL: finish handled leases and wake the engine; less
        often, extend this worker's leases and return those of workers that died."""
        assert self.frontier is not None
        try:
            if self._state_lost():
                self._stop(STATE_LOST)
                return
            self._send_unsent()
            self._finish_done()
            self._send_released()  # the engine asked for no lease since (a full downloader)
            # By the clock, not by counting ticks: a busy reactor skips ticks, and a
            # lease left unextended for its whole time-out would be fetched again by
            # another worker.
            now = time.monotonic()
            if now - self._extended_at >= self.config.lease_timeout / 4:
                self._extended_at = now
                self.frontier.extend(self._leases)
                self._not_seed_hosts.clear()
                reclaimed = self.frontier.reclaim_expired()
                if reclaimed:
                    logger.warning(
                        "%d request(s) leased by a worker that stopped answering are back "
                        "in the frontier",
                        reclaimed,
                    )
                    self._inc("cluster/reclaimed", reclaimed)
                    self._pending = True
        except redis.RedisError as exc:
            logger.warning("Redis error in cluster housekeeping (will retry): %s", exc)
        _engine.wake(self.crawler)

    def _state_lost(self) -> bool:
        """Whether Redis lost what the workers wrote (restarted empty, flushed): the
        frontier, the filter and the host clock of this crawl are gone with it. Said once,
        in one error line; the crawl stops (not ``finished``: its outcome is not ok), and
        running it again resumes it (the store's page records spare what was fetched)."""
        if self._lost:
            return True
        assert self.frontier is not None
        if self.frontier.client.exists(self._epoch):
            return False
        self._lost = True
        self._inc("cluster/redis_state_lost")
        logger.error(
            "Redis lost this crawl's shared state (restarted empty, or flushed): its"
            " frontier and host clock are gone, so this worker stops sending and ends"
            " the crawl; run the crawl again to resume it"
        )
        return True

    def _stop(self, reason: str) -> None:
        engine = self.crawler.engine
        if engine is not None and not _engine.closing(self.crawler):
            self._closing = asyncio.ensure_future(engine.close_spider_async(reason=reason))

    def _finish_done(self) -> None:
        """Acknowledge the leases whose requests the engine has fully handled."""
        assert self.frontier is not None
        if not self._leases:
            return
        self._send_unsent()  # a lease's follow-ups are queued before it is acknowledged
        busy = _engine.in_progress(self.crawler)
        waiting = set(self._ready)  # leased with others, not yet given to the engine
        done = [
            lid
            for lid, lease in self._leases.items()
            if lease.request not in busy and lease.request not in waiting
        ]
        if not done:
            return
        for lease_id in done:
            lease = self._leases[lease_id]
            if not lease.released:  # refused before reaching the downloader
                self._release(lease)
        # Hosts first: a lease acknowledged with its host still marked busy would keep the
        # host from every worker if this one died before its next lease.
        self._send_released()
        self.frontier.ack(done)
        for lease_id in done:
            del self._leases[lease_id]
        self._inc("cluster/finished", len(done))

    def _release(self, lease: _Lease) -> None:
        """The lease's host may have its next request: said to Redis with the next lease,
        which this wakes the engine to ask for at once."""
        self._released.append(lease.host)
        lease.released = True
        self._pending = True
        self._wake_in(0.0)

    def _send_released(self) -> None:
        assert self.frontier is not None
        if self._released:
            self.frontier.release(self._released)
            self._released.clear()

    def _wake_in(self, delay: float) -> None:
        """Wake the engine after ``delay`` seconds (the earliest of the wakes asked for)."""
        loop = asyncio.get_running_loop()  # the asyncio reactor's loop (project setting)
        when = loop.time() + max(0.0, delay)
        if self._wake_call is not None and not self._wake_call.cancelled():
            if loop.time() < self._wake_call.when() <= when:
                return
            self._wake_call.cancel()
        self._wake_call = loop.call_at(when, _engine.wake, self.crawler)

    def _seed_host(self, host: str) -> None:
        """A seed's host, just said to Redis: the spider hears of it without asking."""
        if host in self._known_hosts or not isinstance(self.spider, TakesSeedHosts):
            return
        self._known_hosts.add(host)
        self._not_seed_hosts.discard(host)
        self.spider.add_seed_host(host)

    def _allow_host(self, host: str) -> None:
        """Tell the spider a seed's host is in the crawl, if it keeps such a list
        (``SetsSpider.add_seed_host``): seeds may come from other workers or the CLI."""
        if host in self._known_hosts or host in self._not_seed_hosts:
            return
        if not isinstance(self.spider, TakesSeedHosts):
            return
        assert self.frontier is not None
        if self.frontier.is_seed_host(host):
            self._known_hosts.add(host)
            self.spider.add_seed_host(host)
        else:
            self._not_seed_hosts.add(host)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)
