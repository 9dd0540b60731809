"""The frontier hands out a host's next request only when that host may be sent to now.

A request handed to the downloader counts against ``CONCURRENT_REQUESTS`` from then on,
however long it then waits for its host's turn in the download handler. Handed out early,
waiting requests fill the concurrency slots and the other hosts stall: with 400 hosts at
``Crawl-delay: 2`` and 256 slots, 144 hosts waited seconds for a first request
(utilization 0.65). So requests wait here, in the scheduler, where waiting costs nothing,
and a host's request leaves only when

1. no request of the host is in the downloader (``Downloader.active``, which holds a
   request from the moment the engine hands it over until it is done),
2. its robots.txt verdict is known (:meth:`RobotsPolicy.ready_at` starts the fetch, and
   says when it is done), and
3. the per-host clock says its turn has come (:meth:`HostClock.ready_at` with the pace
   policy's gap), within ``_SLACK``.

The same holds for the politeness files fetched on the side (tdmrep.json, which the TDM
middleware asks for when a host's first page yields sets): :meth:`fetch_at_turn` starts
such a download at the host's turn, never before, so it doesn't wait in a slot either.

The handler still asks the clock before every request, as the guarantee; it almost never
has to wait. Hosts not yet ready wait in a heap by their time; when nothing is ready the
frontier wakes the engine at the earliest one (``crawler/_engine.py``), instead of leaving
it to Scrapy's 5-second heartbeat. Ready hosts take turns in round-robin order.
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue
from scrapy.utils.httpobj import urlparse_cached

from crawler import _engine
from crawler.politeness.robots import RobotsPolicy
from crawler.politeness.tdm import TdmRepMiddleware
from crawler.politeness.turns import Turns
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.pqueues import QueueProtocol

__all__ = ["HostAwarePriorityQueue"]

_SLACK = 0.005
"""A host whose turn comes within this many seconds is ready: the handler waits the rest."""
_CLOSING_POLL = 0.05
"""While the engine closes, how often side downloads still waiting are looked at again."""


class HostAwarePriorityQueue(DownloaderAwarePriorityQueue):
    def __init__(
        self,
        crawler: Crawler,
        downstream_queue_cls: type[QueueProtocol],
        key: str,
        slot_startprios: dict[str, Iterable[int]] | None = None,
        *,
        start_queue_cls: type[QueueProtocol] | None = None,
        turns: Turns,
    ) -> None:
        super().__init__(
            crawler, downstream_queue_cls, key, slot_startprios, start_queue_cls=start_queue_cls
        )
        self.turns = turns
        self.robots = crawler.get_downloader_middleware(RobotsPolicy)
        assert crawler.engine is not None  # the scheduler opens with the engine
        self._downloader = crawler.engine.downloader
        self._ready: deque[str] = deque(self.pqueues)
        """Slots that may be ready: checked in this order (round-robin)."""
        self._queued = set(self._ready)
        self._later: list[tuple[float, str]] = []
        """(time, slot) of slots whose host's turn comes later."""
        self._in_later: set[str] = set()
        self._waiting_shown = -1
        """The count last put in the stats."""
        self._out: dict[str, Request] = {}
        """The request last handed out per slot, while it is in the downloader."""
        self._probe: dict[str, Request] = {}
        """A request of each slot (the last pushed), for its host and robots.txt origin."""
        self._wake: asyncio.TimerHandle | None = None
        self._wake_at = float("inf")
        self._side: dict[str, deque[tuple[Request, asyncio.Future[Response]]]] = {}
        """Downloads asked for by :meth:`fetch_at_turn`, per slot, waiting for the turn."""
        self._held: dict[str, asyncio.Future[Any]] = {}
        """Slots busy with such a download."""
        tdm = crawler.get_spider_middleware(TdmRepMiddleware)
        if tdm is not None:
            tdm.use_frontier(self)

    @classmethod
    def from_crawler(
        cls,
        crawler: Crawler,
        downstream_queue_cls: type[QueueProtocol],
        key: str,
        startprios: dict[str, Iterable[int]] | None = None,
        *,
        start_queue_cls: type[QueueProtocol] | None = None,
    ) -> Self:
        return cls(
            crawler,
            downstream_queue_cls,
            key,
            startprios,
            start_queue_cls=start_queue_cls,
            turns=part(crawler, Turns),
        )

    def fetch_at_turn(self, request: Request) -> asyncio.Future[Response]:
        """Download ``request`` (not a page: no callback, no scheduling) at its host's
        next turn; the future has the response."""
        slot = urlparse_cached(request).hostname or ""
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._side.setdefault(slot, deque()).append((request, future))
        self._probe.setdefault(slot, request)
        self._candidate(slot)
        self._wake_in(0.0)
        return future

    def _start_side(self, slot: str) -> None:
        side = self._side[slot]
        request, future = side.popleft()
        if not side:
            del self._side[slot]
        assert self.crawler.engine is not None
        task = asyncio.ensure_future(self.crawler.engine.download_async(request))
        self._held[slot] = task

        def done(task: asyncio.Future[Response]) -> None:
            del self._held[slot]
            if not future.done():
                if task.cancelled():
                    future.cancel()
                elif (error := task.exception()) is not None:
                    future.set_exception(error)
                else:
                    future.set_result(task.result())
            self._candidate(slot)
            self._wake_in(0.0)

        task.add_done_callback(done)

    # -- the slot states ----------------------------------------------------------------
    def _candidate(self, slot: str) -> None:
        if slot not in self._queued:
            self._queued.add(slot)
            self._ready.append(slot)

    def _returned(self) -> None:
        """Slots whose request has left the downloader are candidates again."""
        active = self._downloader.active
        for slot in [s for s, request in self._out.items() if request not in active]:
            del self._out[slot]
            if slot in self.pqueues or slot in self._side:
                self._candidate(slot)

    def _turn(self, slot: str) -> float | None:
        """When the slot's host may be sent to; None while its robots.txt is fetched (the
        slot comes back when the fetch is done)."""
        probe = self._probe.get(slot)
        if probe is None:
            return float("-inf")  # resumed from disk: the handler alone paces it
        host = urlparse_cached(probe).hostname or ""
        if self.turns.dropped(host) is not None:
            return float("-inf")  # the handler refuses it at once
        robots = self.robots.ready_at(probe) if self.robots is not None else float("-inf")
        if isinstance(robots, asyncio.Future):
            robots.add_done_callback(lambda _f: self._robots_done(slot))
            return None
        if self.robots is not None and self.robots.refuses(probe):
            return float("-inf")  # refused, never sent: no turn to wait for
        return max(robots, self.turns.ready_at(host))

    def _robots_done(self, slot: str) -> None:
        if slot in self.pqueues or slot in self._side:
            self._candidate(slot)
        self._wake_in(0.0)

    def _wake_in(self, delay: float) -> None:
        """Have the engine ask again in ``delay`` seconds (the earliest asked for)."""
        loop = asyncio.get_running_loop()
        when = loop.time() + delay
        if self._wake is not None and loop.time() <= self._wake_at <= when:
            return
        if self._wake is not None:
            self._wake.cancel()
        self._wake_at = when
        self._wake = loop.call_at(when, self._woken)

    def _woken(self) -> None:
        self._wake, self._wake_at = None, float("inf")
        if self._side and _engine.closing(self.crawler):
            # A closing engine asks for no more pages, but waits for the pages in its
            # hands, and one may wait for a download of its host's (tdmrep.json): start
            # those at their turn here, or the close would wait for a timeout.
            while self._next_ready() is not None:
                pass
            if self._side:  # the host's page request is still out: look again shortly
                self._wake_in(_CLOSING_POLL)
            return
        _engine.wake(self.crawler)

    # -- the queue interface ------------------------------------------------------------
    def push(self, request: Request) -> None:
        super().push(request)
        slot = self._downloader.get_slot_key(request)
        self._probe[slot] = request
        if slot not in self._out:
            self._candidate(slot)

    def _next_ready(self) -> str | None:
        self._returned()
        now = self.turns.now()
        while self._later and self._later[0][0] <= now + _SLACK:
            slot = heapq.heappop(self._later)[1]
            self._in_later.discard(slot)
            self._candidate(slot)
        while self._ready:
            slot = self._ready.popleft()
            self._queued.discard(slot)
            if slot in self._out or slot in self._held:
                continue  # back in line when that download is done
            if slot not in self.pqueues and slot not in self._side:
                continue
            turn = self._turn(slot)
            if turn is None:
                continue
            if turn > now + _SLACK:
                if slot not in self._in_later:
                    self._in_later.add(slot)
                    heapq.heappush(self._later, (turn, slot))
                continue
            if slot in self._side:
                self._start_side(slot)
                continue
            return slot
        if self._later:
            self._wake_in(max(0.0, self._later[0][0] - self.turns.now()))
        return None

    def _count_waiting(self) -> None:
        """Hosts waiting here for their turn, for the crawl's progress line (set when it
        changes: the engine asks for a request on every turn of its loop)."""
        waiting = len(self._in_later)
        if waiting != self._waiting_shown:
            self._waiting_shown = waiting
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("crawl/hosts_waiting_in_frontier", waiting)

    def pop(self) -> Request | None:
        slot = self._next_ready()
        self._count_waiting()
        if slot is None:
            return None  # the engine asks again on a download's end, or when woken
        queue = self.pqueues[slot]
        request = queue.pop()
        if len(queue) == 0:
            del self.pqueues[slot]
            if slot not in self._side:
                self._probe.pop(slot, None)
            queue.close()
        if request is not None:
            self._out[slot] = request
        return request

    def peek(self) -> Request | None:
        """The head of the first slot in line, ready or not (Scrapy only asks for
        statistics; :meth:`pop` decides what leaves)."""
        for slot in self._ready:
            if slot in self.pqueues:
                return self.pqueues[slot].peek()
        return None

    def close(self) -> dict[str, list[int]]:
        if self._wake is not None:
            self._wake.cancel()
        for side in self._side.values():
            for _request, future in side:
                future.cancel()
        self._side.clear()
        return super().close()

    def __repr__(self) -> str:
        return f"<HostAwarePriorityQueue slots={len(self.pqueues)} out={len(self._out)}>"
