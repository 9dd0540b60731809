"""TDM reservations (W3C TDMRep): rights holders who reserve text-and-data mining.

A page is reserved when its response carries ``tdm-reservation: 1``, its HTML a
``<meta name="tdm-reservation" content="1">``, or its path matches a rule of the host's
``/.well-known/tdmrep.json`` with ``"tdm-reservation": 1``. Items (sets) from reserved
pages are dropped unless ``TDM_RESERVATION_DROPS_ITEMS = False``. The well-known file is
fetched once per origin, only when a page yields items, at the host's turn (the frontier);
what it said, a 404 included, is kept in the store for ``ROBOTSTXT_CACHE_SECONDS``, so a
recrawl within that time does not ask again. A 429 or 5xx is asked again after the host's
pause (its Retry-After) or at its slowed pace, up to ``RETRY_AFTER_TIMES`` times, as
robots.txt is; it is a policy file, never a failed page in the crawl's outcome.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached

from crawler.origins import url_origin
from crawler.politeness.clock import HostClock
from crawler.politeness.config import PolitenessConfig
from crawler.politeness.policy_files import POLICY_FILE_META
from crawler.store import session_factory, utcnow
from crawler.store.deferred import DeferredWrites
from crawler.store.preload import ReadAllOnce
from crawler.store.tdmrep import load_tdmrep, load_tdmrep_files, save_tdmrep_files
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = [
    "TdmRepMiddleware",
    "compile_rules",
    "parse_tdmrep",
    "reserved_by_rules",
    "tdmrep_entries",
]

logger = logging.getLogger(__name__)

TDMREP_MAX_BYTES = 1024 * 1024
"""A tdmrep.json is a short list of rules; anything larger (or expanding past this) is
refused like a missing file."""
_LOAD_ALL_MAX = 100_000
"""Stored verdicts read at once on first use; more are read origin by origin."""

Rules = list[tuple[re.Pattern[str], bool]]


def tdmrep_entries(body: bytes) -> list[tuple[str, bool]]:
    """``[{"location": "/path/*", "tdm-reservation": 1}, ...]`` -> (location, reserved)."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    return [
        (entry["location"], str(entry.get("tdm-reservation")) == "1")
        for entry in (data if isinstance(data, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("location"), str)
    ]


def compile_rules(entries: list[tuple[str, bool]]) -> Rules:
    """Locations as patterns: ``*`` matches anything, a final ``$`` ends the path."""
    rules: Rules = []
    for location, reserved in entries:
        pattern = re.escape(location).replace(r"\*", ".*")
        if pattern.endswith(r"\$"):
            pattern = pattern[:-2] + "$"
        rules.append((re.compile(pattern), reserved))
    return rules


def parse_tdmrep(body: bytes) -> Rules:
    return compile_rules(tdmrep_entries(body))


def reserved_by_rules(path: str, rules: Rules) -> bool:
    """The first matching rule decides (TDMRep, "tdmrep.json")."""
    for pattern, reserved in rules:
        if pattern.match(path):
            return reserved
    return False


def reserved_by_page(response: Response) -> bool:
    if (response.headers.get(b"tdm-reservation") or b"").strip() == b"1":
        return True
    if isinstance(response, HtmlResponse):
        value = response.xpath('//meta[@name="tdm-reservation"]/@content').get()
        return (value or "").strip() == "1"
    return False


class TurnFetcher(Protocol):
    """What downloads a politeness file at its host's turn, outside the download slots
    (the frontier, ``frontier.py``)."""

    def fetch_at_turn(self, request: Request) -> Awaitable[Response]: ...


class TdmRepVerdicts(Protocol):
    """Where tdmrep.json entries are shared between the workers of a cluster."""

    async def load_or_claim(self, origin: str) -> list[tuple[str, bool]] | None:
        """The shared entries (waiting while another worker fetches them), or None: this
        worker fetches the file, and calls :meth:`unclaim` once it is done."""

    async def unclaim(self, origin: str) -> None: ...

    async def save(
        self, origin: str, entries: list[tuple[str, bool]], valid_for: float
    ) -> None: ...


@runtime_checkable
class SharesTdmRep(Protocol):
    """A clock shared by several workers (``crawler/cluster/clock.py``): one tdmrep.json
    fetch per origin for the whole cluster, as for robots.txt."""

    @property
    def tdmrep_store(self) -> TdmRepVerdicts: ...


class TdmRepMiddleware:
    """Spider middleware: drops items from pages whose rights holder reserves TDM."""

    def __init__(
        self, crawler: Crawler, config: PolitenessConfig, clock: HostClock | None = None
    ) -> None:
        self.config = config
        if not self.config.tdm_drops_items:
            raise NotConfigured("TDM_RESERVATION_DROPS_ITEMS is off")
        self.crawler = crawler
        self._clock = clock
        self._rules: dict[str, asyncio.Future[Rules]] = {}
        self._frontier: TurnFetcher | None = None
        self._database_url: str | None = crawler.settings.get("DATABASE_URL")
        """The store keeps verdicts between runs (without one, each run asks once)."""
        self._max_age = timedelta(seconds=self.config.robots_cache_s)
        self._kept: DeferredWrites[tuple[list[tuple[str, bool]], datetime]] | None = (
            DeferredWrites(self._database_url, save_tdmrep_files, "tdmrep.json verdicts")
            if self._database_url
            else None
        )
        """Verdicts for the next run, written together (a commit per origin cost a first
        crawl of many hosts a commit each)."""
        self._fresh: ReadAllOnce[list[tuple[str, bool]] | None] = ReadAllOnce(
            self._fresh_verdicts, self._fresh_verdict, _LOAD_ALL_MAX, missing=lambda: None
        )
        """Each origin's verdict fetched within ROBOTS_CACHE_SECONDS, if the store has one."""
        crawler.signals.connect(self.save, signal=signals.spider_closed)

    def use_frontier(self, frontier: TurnFetcher) -> None:
        """Fetch tdmrep.json through ``frontier`` (which calls this when it opens): at
        the host's turn, rather than waiting for it in a download slot."""
        self._frontier = frontier

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TdmRepMiddleware:
        return cls(crawler, part(crawler, PolitenessConfig), part(crawler, HostClock))

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        reserved: bool | None = None
        async for entry in result:
            if isinstance(entry, Request):
                yield entry
                continue
            if reserved is None:
                reserved = await self._reserved(response)
            if reserved:
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("politeness/dropped/tdm_items")
                continue
            yield entry

    async def _reserved(self, response: Response) -> bool:
        if reserved_by_page(response):
            self._count_page()
            return True
        if not self.config.tdm_fetch_wellknown or not response.url.startswith("http"):
            return False
        parts = urlparse_cached(response)
        origin = url_origin(parts)
        if origin not in self._rules:
            self._rules[origin] = asyncio.ensure_future(self._fetch(origin))
        if reserved_by_rules(parts.path or "/", await asyncio.shield(self._rules[origin])):
            self._count_page()
            return True
        return False

    def _count_page(self) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("politeness/pages/tdm_reserved")

    async def _fetch(self, origin: str) -> Rules:
        """The origin's rules: from the store when they were fetched within
        ``ROBOTSTXT_CACHE_SECONDS`` (a 404 included), else from the site, then kept."""
        cached = self._stored(origin)
        if cached is not None:
            self._inc("tdmrep/from_store")
            return compile_rules(cached)
        shared = self._clock.tdmrep_store if isinstance(self._clock, SharesTdmRep) else None
        if shared is not None and (cached := await shared.load_or_claim(origin)) is not None:
            self._inc("tdmrep/from_cluster")
            return compile_rules(cached)
        try:
            entries = await self._download(origin)
            if entries is not None:
                self._store(origin, entries)
                if shared is not None:
                    await shared.save(origin, entries, self.config.robots_cache_s)
        finally:
            if shared is not None:
                await shared.unclaim(origin)
        return compile_rules(entries or [])

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"politeness/{key}")

    def _stored(self, origin: str) -> list[tuple[str, bool]] | None:
        if not self._database_url:
            return None
        try:
            return self._fresh.take(origin)
        except Exception as error:  # the store away: ask the site, as without a store
            logger.debug("tdmrep.json of %s not read from the store: %s", origin, error)
            return None

    def _fresh_verdicts(self, limit: int) -> dict[str, list[tuple[str, bool]] | None] | None:
        assert self._database_url
        with session_factory(self._database_url)() as session:
            found = load_tdmrep_files(session, utcnow(), self._max_age, limit)
        return None if found is None else dict(found)

    def _fresh_verdict(self, origin: str) -> list[tuple[str, bool]] | None:
        assert self._database_url
        with session_factory(self._database_url)() as session:
            return load_tdmrep(session, origin, utcnow(), self._max_age)

    def _store(self, origin: str, entries: list[tuple[str, bool]]) -> None:
        if self._kept is not None:
            self._kept.put(origin, (entries, utcnow()))

    def save(self) -> None:
        """Write the verdicts not yet in the store."""
        if self._kept is not None:
            self._kept.flush()

    async def _download(self, origin: str) -> list[tuple[str, bool]] | None:
        """The file's entries; ``[]`` for none (any answer but 200); None when the site
        could not be asked (refused, time-out): not a verdict worth keeping."""
        for attempt in range(self.config.retry_after_times + 1):
            try:
                response = await self._download_once(origin)
            except Exception as exc:
                logger.debug("No tdmrep.json for %s: %s", origin, exc)
                return None
            if response.status < 500 and response.status != 429:
                return tdmrep_entries(response.body) if response.status == 200 else []
            # The site is struggling: RetryAfterMiddleware has paused the host (Retry-After)
            # or the pace has slowed it; asked again at the host's next turn, after that.
            self._inc("tdmrep/retried")
            logger.debug("tdmrep.json of %s answered %d (attempt %d)", origin,
                         response.status, attempt + 1)  # fmt: skip
        logger.info("tdmrep.json of %s: no answer after %d attempts, ask again next run",
                    origin, self.config.retry_after_times + 1)  # fmt: skip
        return None  # no verdict: nothing kept, asked again next run

    async def _download_once(self, origin: str) -> Response:
        assert self.crawler.engine is not None
        request = Request(
            f"{origin}/.well-known/tdmrep.json",
            callback=NO_CALLBACK,
            dont_filter=True,
            priority=900,
            meta={
                POLICY_FILE_META: origin,
                "dont_retry": True,  # asked again by _download, at the host's turn
                "handle_httpstatus_all": True,
                "dont_redirect": True,
                "download_maxsize": TDMREP_MAX_BYTES,
            },
        )
        if self._frontier is not None:
            return await self._frontier.fetch_at_turn(request)
        return await self.crawler.engine.download_async(request)
