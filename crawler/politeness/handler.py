"""The download handler for http and https: where every request waits for its host's turn.

Pacing lives here, not in a downloader middleware, because this is where a request
actually leaves: a slot reserved earlier (in a middleware) still lets requests bunch up in
Scrapy's queues. For each request the handler

1. refuses hosts left out of this run (Crawl-delay or Retry-After above its cap),
2. waits for the robots.txt verdict (``robots.py``; the robots.txt request comes through
   here too and is paced like any other),
3. asks the pace policy for the host's gap and the clock for a start time, sleeps until
   then, and hands the request to Scrapy's own HTTP handler (``PACE_HTTP_HANDLER``),
4. tells the clock when the request left and when its answer came back, and the pace
   policy how long it took and whether it failed.

A request whose answer is already in hand (``IN_HAND_META``: a page the renderer gets from
its plain fetch instead of fetching it again) sends nothing, so it skips steps 2 to 4 but
still holds the host.

Scrapy's own per-slot delay is set to 0 without jitter for every slot
(``_zero_slot_delay``) so that the clock is the only thing that waits. The pace key is the
host name, port left out, like Scrapy's download slots.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object

from crawler.politeness.config import PolitenessConfig
from crawler.politeness.robots import ROBOTS_META, RobotsPolicy
from crawler.politeness.robots_rules import first_bytes_decoded
from crawler.politeness.turns import HostDropped, HostLocks, Turns
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader.handlers import DownloadHandlerProtocol
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["PoliteDownloadHandler"]

logger = logging.getLogger(__name__)

_ERROR_STATUSES = frozenset({429, 500, 502, 503, 504, 522, 524})
_SLOT_WAIT = 0.02
"""A wait longer than this holds a download slot: counted, since it should be rare."""
OBSERVED_META = "pace_observed"
"""Request meta set by an inner handler that told the pace itself how the host did (the
renderer: a render's length is not the server's latency)."""
_ANSWERED_AT = "_politeness_answered_at"
IN_HAND_META = "answer_in_hand"
"""Request meta: the answer to this request's URL is already in hand (a page rendered from
its plain fetch), so nothing leaves for it and it takes no turn on the host's clock and
nothing of the daily quota. Honoured only where the inner handler says it never sends
such a request (``serves_in_hand = True``: the rendering handler); anywhere else the
request is paced like any other."""


class PoliteDownloadHandler(BaseDownloadHandler):
    lazy = False

    def __init__(
        self,
        crawler: Crawler,
        config: PolitenessConfig,
        turns: Turns,
    ) -> None:
        super().__init__(crawler)
        self.config = config
        self.turns = turns
        self.clock = turns.clock
        self.pace = turns.pace
        self.stats = crawler.stats
        self._inner: DownloadHandlerProtocol = build_from_crawler(
            load_object(self.config.http_handler), crawler
        )
        self._locks = HostLocks()
        self._active: set[asyncio.Task[Response]] = set()
        self._stopping = False
        self._grace = crawler.settings.getfloat("SHUTDOWN_DOWNLOAD_GRACE")
        self._watch: asyncio.Task[None] | None = None
        crawler.signals.connect(self._zero_slot_delay, signal=signals.request_reached_downloader)
        crawler.signals.connect(self._headers_received, signal=signals.headers_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(
            crawler,
            part(crawler, PolitenessConfig),
            part(crawler, Turns),
        )

    @cached_property
    def _robots(self) -> RobotsPolicy | None:
        """The crawl's robots policy (None when it is off), looked up on first use: the
        downloader builds its middlewares after this handler."""
        return self.crawler.get_downloader_middleware(RobotsPolicy)

    def _zero_slot_delay(self, request: Request, **_: Any) -> None:
        """The clock paces; Scrapy's slot delay (and its jitter, which can shorten a gap)
        would only add a second, blind wait."""
        assert self.crawler.engine is not None
        slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot", ""))
        if slot is not None:
            slot.delay = 0.0
            slot.jitter = 0.0

    def _headers_received(self, request: Request, **_: Any) -> None:
        """Stamp the answer's arrival as it happens, not when our coroutine resumes: the
        server logged the request before it answered, so counting the next gap from here
        still keeps the server's gap, and a busy event loop doesn't stretch it."""
        request.meta[_ANSWERED_AT] = self.clock.now()

    async def download_request(self, request: Request) -> Response:
        """The download in a task of its own, so that a stopping crawl can end it."""
        if self._stopping:
            raise IgnoreRequest("the crawl is stopping")
        if self._watch is None:
            self._watch = asyncio.ensure_future(self._watch_for_shutdown())
        task = asyncio.ensure_future(self._download(request))
        self._active.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            if self._stopping and task.cancelled():
                raise IgnoreRequest("the crawl is stopping: download cut short") from None
            raise
        finally:
            self._active.discard(task)

    async def _watch_for_shutdown(self) -> None:
        """Scrapy's graceful stop (SIGTERM, Ctrl-C) waits for every download in flight,
        and for every request waiting for its host's turn: with a server that drips one
        byte a second, or a Crawl-delay of 30 s, that is minutes. The engine stops running
        first thing in a stop; ``SHUTDOWN_DOWNLOAD_GRACE`` seconds later, whatever is
        still in flight is cut short (its page is not recorded, so the next crawl fetches
        it again)."""
        engine = self.crawler.engine
        while engine is not None and engine.running:
            await sleep(0.25)
        await sleep(self._grace)
        self._stopping = True
        if self._active:
            logger.info("Stopping: %d downloads still in flight are cut short", len(self._active))
        for task in list(self._active):
            task.cancel()

    async def _download(self, request: Request) -> Response:
        host = urlparse_cached(request).hostname or ""
        self._refuse_if_dropped(host)
        if ROBOTS_META in request.meta:
            # The robots.txt fetch runs while a page request of the same host holds the
            # lock and waits for it; the clock alone keeps it apart from that host's others.
            return await self._read_up_to_the_limit(host, request)
        # One request at a time per host. Scrapy's slot concurrency is not enough: under
        # asyncio (2.19) a slot starts every queued request at once when its delay is 0,
        # because a download counts as transferring only once its task runs.
        async with self._locks.hold(host):
            if IN_HAND_META in request.meta and getattr(self._inner, "serves_in_hand", False):
                # Held for the host all the same: never two renders at once on one host.
                return await self._inner.download_request(request)
            robots = self._robots
            if robots is not None:
                await robots.admit(request)
                self._refuse_if_dropped(host)  # robots.txt may ask for too long a delay
            return await self._paced_download(host, request)

    async def _read_up_to_the_limit(self, host: str, request: Request) -> Response:
        """A robots.txt of any size is read up to ``ROBOTSTXT_MAX_BYTES``, the rest ignored
        (RFC 9309, 2.5; ``RobotsPolicy`` stops the download there). Scrapy would refuse it
        unread instead when its Content-Length is above ``download_maxsize``, so that
        check is off while it downloads; ``download_maxsize`` is back for what follows,
        the decompression (HttpCompressionMiddleware), where it stops a bomb in an
        encoding not expanded here."""
        expanded_max = request.meta.get("download_maxsize")
        request.meta["download_maxsize"] = 0
        try:
            response = await self._paced_download(host, request)
        finally:
            request.meta["download_maxsize"] = expanded_max
        encodings = response.headers.getlist(b"Content-Encoding")
        if len(encodings) != 1:
            return response
        # gzip and deflate are expanded here, up to the limit: past it, the middleware
        # would refuse the whole file as a bomb rather than read its first 500 KiB.
        limit = self.config.robots_max_bytes + 1  # one more: parse_robots says it was cut
        body = first_bytes_decoded(response.body, encodings[0], limit)
        if body is None:
            return response
        headers = response.headers.copy()
        del headers[b"Content-Encoding"]
        return response.replace(body=body, headers=headers)

    async def _paced_download(self, host: str, request: Request) -> Response:
        await self._count_against_daily_quota(host, request)
        try:
            sent = await self.turns.take(host, self._wait)
        except HostDropped as dropped:
            self.stats.inc_value("politeness/refused/host_skipped")
            raise IgnoreRequest(str(dropped)) from None
        try:
            response = await self._inner.download_request(request)
        except Exception:
            await self._done(host, request, sent, self.clock.now(), error=True)
            raise
        done = request.meta.pop(_ANSWERED_AT, None) or self.clock.now()
        await self._done(host, request, sent, done, error=response.status in _ERROR_STATUSES)
        return response

    async def _wait(self, seconds: float) -> None:
        if seconds > _SLOT_WAIT:  # the frontier keeps this near 0 (frontier.py)
            self.stats.inc_value("politeness/waits_in_download_slot")
        # a live count for the crawl's progress line: hosts waiting for their turn
        self.stats.inc_value("crawl/hosts_waiting")
        try:
            await sleep(seconds)
        finally:
            self.stats.inc_value("crawl/hosts_waiting", -1)

    async def _done(
        self, host: str, request: Request, sent: float, done: float, error: bool
    ) -> None:
        # An inner handler that told the pace itself how the host did (the renderer) says
        # so in the request's meta, during the download.
        await self.turns.done(host, sent, done, None if request.meta.get(OBSERVED_META) else error)

    async def _count_against_daily_quota(self, host: str, request: Request) -> None:
        """A site with a daily limit (site terms) gets no request past it: the host is
        left out for the rest of the run (``quota.py``)."""
        refusal = await self.turns.count(host, urlparse_cached(request).path or "/")
        if refusal is not None:
            self.stats.inc_value("politeness/refused/daily_quota")
            raise IgnoreRequest(f"Host {host} skipped for this run: {refusal}")

    def _refuse_if_dropped(self, host: str) -> None:
        reason = self.pace.dropped(host)
        if reason is not None:
            assert self.stats is not None
            self.stats.inc_value("politeness/refused/host_skipped")
            raise IgnoreRequest(f"Host {host} skipped for this run: {reason}")

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
        if self.turns.host_memory is not None:
            self.turns.host_memory.flush()
        await self._inner.close()
        await self.clock.close()
