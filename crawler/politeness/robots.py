"""robots.txt to the letter of RFC 9309, in place of Scrapy's ``RobotsTxtMiddleware``.

Scrapy's middleware allows everything when robots.txt answers 5xx, never re-fetches and
ignores Crawl-delay. This one keeps one record per origin: the rules in force, until when
they may be cached (at most 24 h), and, after a failed fetch, when to try again. A failed
re-fetch keeps the cached copy; with no copy, the host is disallowed and its requests wait
for the next attempt (back-off doubling from ``ROBOTSTXT_RETRY_DELAY``), then are refused
once ``ROBOTSTXT_RETRY_TIMES`` attempts have failed — until a later request tries again.

Where the check happens: the middleware refuses early what cached rules already forbid,
but the authoritative check is :meth:`RobotsPolicy.admit`, called by the download handler
just before it asks the clock. Waiting there (for a fetch or a back-off) holds only that
host's downloader slot, so a host whose robots.txt is failing never holds up the others.
The robots.txt request itself goes through the engine like any request (same middlewares,
same User-Agent, paced by the same clock), in a download slot of its own so that it never
queues behind the page request waiting for it.

What a robots.txt said is kept in the store (``crawler/store/robots_files.py``) and read
back by the next run while ``ROBOTSTXT_CACHE_SECONDS`` lasts from its fetch: a crawl every
hour asks each host for it once a day, not every hour (``politeness/robots/from_store``).
Only good verdicts are kept; an unreachable robots.txt is asked again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached

from crawler.origins import url_origin
from crawler.politeness import robots_rules
from crawler.politeness.clock import HostClock
from crawler.politeness.config import PolitenessConfig
from crawler.politeness.pace import PacePolicy
from crawler.politeness.robots_rules import ROBOTS_META, RobotsFile
from crawler.politeness.terms import SiteTerms, TermsRegistry
from crawler.store import session_factory, utcnow
from crawler.store.deferred import DeferredWrites
from crawler.store.preload import ReadAllOnce
from crawler.store.robots_files import (
    KeptRobots,
    load_robots_file,
    load_robots_files,
    save_robots_files,
)
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["ROBOTS_META", "RobotsPolicy", "kept_rules", "origin_of", "read_kept"]

logger = logging.getLogger(__name__)

_RETRY_CAP = 3600.0
_LOAD_ALL_MAX = 5_000
"""Stored verdicts read at once on first use; more are read origin by origin (a verdict
holds the file's bytes, up to ROBOTSTXT_MAX_BYTES: a large store is not read whole)."""


class VerdictStore(Protocol):
    """Where robots.txt verdicts are shared between the workers of a cluster."""

    async def load_or_claim(self, origin: str) -> tuple[RobotsFile, float] | None:
        """The shared verdict (waiting while another worker fetches it), or None: this
        worker fetches it, and calls :meth:`unclaim` once it is done."""

    async def unclaim(self, origin: str) -> None: ...

    async def save(self, origin: str, rules: RobotsFile, valid_for: float) -> None: ...


@runtime_checkable
class SharesVerdicts(Protocol):
    """A clock shared by several workers (``crawler/cluster/clock.py``) shares robots.txt
    verdicts too: one fetch per cluster."""

    @property
    def robots_store(self) -> VerdictStore: ...


class _RefusedHere(Exception):
    """The robots.txt request was refused by this crawl's own components."""


def origin_of(request: Request) -> str:
    return url_origin(urlparse_cached(request)).lower()


@dataclass
class _Origin:
    rules: RobotsFile | None = None
    """The rules in force: the last good fetch (kept when a re-fetch fails)."""
    next_fetch_at: float = float("-inf")
    """Cache expiry after a good fetch; the retry time after a failed one."""
    failures: int = 0
    fetching: asyncio.Future[None] | None = None
    unused: bool = False
    """A good verdict no request has been admitted by yet: in force for the next one even
    past its expiry (a ``ROBOTSTXT_CACHE_SECONDS`` shorter than the host's gap would
    otherwise have every request wait for a fetch that expires before its turn)."""


class RobotsPolicy:
    """Downloader middleware and the robots.txt authority for the download handler."""

    def __init__(
        self,
        crawler: Crawler,
        config: PolitenessConfig,
        clock: HostClock,
        pace: PacePolicy,
        terms: TermsRegistry,
    ) -> None:
        self.config = config
        if not self.config.obey_robots:
            raise NotConfigured("ROBOTSTXT_OBEY is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.clock = clock
        self.pace = pace
        self._origins: dict[str, _Origin] = {}
        self._told_unreachable: set[str] = set()
        self._told_permission: set[str] = set()
        self.terms = terms
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)
        self._max_age = timedelta(seconds=config.robots_cache_s)
        self._stored: ReadAllOnce[KeptRobots | None] | None = None
        self._kept: DeferredWrites[KeptRobots] | None = None
        if config.database_url:  # without a store, each run asks once
            url = config.database_url
            self._stored = ReadAllOnce(
                lambda limit: self._read_all(url, limit),
                lambda origin: read_kept(url, origin, self._max_age),
                _LOAD_ALL_MAX,
                missing=lambda: None,
            )
            self._kept = DeferredWrites(url, save_robots_files, "robots.txt verdicts")
            crawler.signals.connect(self._kept.flush, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsPolicy:
        return cls(
            crawler,
            part(crawler, PolitenessConfig),
            part(crawler, HostClock),
            part(crawler, PacePolicy),
            part(crawler, TermsRegistry),
        )

    def _inc(self, key: str) -> None:
        assert self.stats is not None
        self.stats.inc_value(f"politeness/{key}")

    # -- middleware: early refusal from rules already known -------------------------------
    def process_request(self, request: Request) -> None:
        if self._exempt(request):
            return
        state = self._origins.get(origin_of(request))
        if state is not None and state.rules is not None:
            self._verdict(request, state.rules)

    def _exempt(self, request: Request) -> bool:
        return (
            ROBOTS_META in request.meta
            or bool(request.meta.get("dont_obey_robotstxt"))
            or not request.url.startswith(("http:", "https:"))
        )

    def _verdict(self, request: Request, rules: RobotsFile) -> None:
        if rules.allowed(request.url, self.config.product):
            return
        if rules.kind == "parsed" and self._api_permission(request):
            return
        self._inc("refused/robots")
        if rules.kind == "disallow_all":
            # not the site saying no: the crawl's outcome counts these as failed requests
            self._inc("refused/robots_unreachable")
            origin = origin_of(request)
            if origin not in self._told_unreachable:
                self._told_unreachable.add(origin)
                logger.warning(
                    "Not crawling %s for now: its robots.txt is unreachable (%s)",
                    origin,
                    rules.reason,
                )
            raise IgnoreRequest(f"robots.txt unreachable: {rules.reason}")
        logger.debug("Forbidden by robots.txt: %s", request)
        raise IgnoreRequest("Forbidden by robots.txt")

    def _permission(self, request: Request) -> tuple[SiteTerms | None, str | None]:
        """The site terms entry of ``request``'s host, and its documented permission for
        the request's path (None when there is none)."""
        parts = urlparse_cached(request)
        entry = self.terms.lookup(parts.hostname or "")
        return entry, entry.api_permission(parts.path or "/") if entry else None

    def _api_permission(self, request: Request) -> bool:
        """Whether the site terms record a documented permission for this request's path
        (a web service the site invites programs to use, which its robots.txt disallows).

        Only explicit rules give way, and only on the entry's ``api_paths``; it is said
        once per origin in the log and counted in ``politeness/robots/api_permission``.
        """
        entry, permission = self._permission(request)
        if permission is None:
            return False
        self._inc("robots/api_permission")
        origin = origin_of(request)
        if origin not in self._told_permission:
            self._told_permission.add(origin)
            logger.info(
                "robots.txt of %s disallows %s; requested anyway under the documented "
                "permission for programs (%s; site terms %s, api_paths %s)",
                origin,
                urlparse_cached(request).path,
                permission,
                entry.source if entry else "",
                ", ".join(entry.api_paths) if entry else "",
            )
        return True

    # -- for the frontier: is the verdict there, or when will it be? -------------------------
    def ready_at(self, request: Request) -> float | asyncio.Future[None]:
        """When :meth:`admit` could decide ``request`` without waiting: a time on the
        clock (past: now), or the future of the robots.txt fetch it waits for, which this
        call starts when none is under way. The frontier holds a host's requests until
        then, so no request waits for robots.txt in a download slot."""
        if self._exempt(request):
            return float("-inf")
        origin = origin_of(request)
        state = self._origins.setdefault(origin, _Origin())
        if state.fetching is not None:
            return state.fetching
        if self.clock.now() >= state.next_fetch_at and not state.unused:
            state.fetching = asyncio.ensure_future(self._refresh(origin, request, state))
            return state.fetching
        if state.rules is not None or state.failures > self.config.robots_retry_times:
            return float("-inf")
        return state.next_fetch_at  # a failed fetch's back-off: the next attempt's time

    def refuses(self, request: Request) -> bool:
        """Whether the rules in force (or giving up on an unreachable robots.txt) refuse
        ``request`` now: the frontier hands such a request out at once, since it is
        refused, never sent, and need not wait for its host's turn."""
        if self._exempt(request):
            return False
        state = self._origins.get(origin_of(request))
        if state is None or state.fetching is not None:
            return False
        if state.rules is None:
            return state.failures > self.config.robots_retry_times
        return not state.rules.allowed(request.url, self.config.product) and not (
            state.rules.kind == "parsed" and self._permission(request)[1] is not None
        )

    def sitemaps(self, origin: str) -> list[str]:
        """The ``Sitemap:`` lines of ``origin``'s robots.txt in force (none when it is
        unknown or was not a parsed file): the sets spider reads them from here rather
        than fetching robots.txt a second time."""
        state = self._origins.get(origin.lower())
        parser = state.rules.parser if state is not None and state.rules is not None else None
        return list(parser.sitemaps) if parser is not None else []

    async def rules_async(self, request: Request) -> RobotsFile | None:
        """The rules in force for ``request``'s origin, fetching them if need be (None
        when robots.txt could not be had: the host's requests then wait or are refused)."""
        while not isinstance(turn := self.ready_at(request), float):
            await asyncio.shield(turn)
        return self.rules_for(origin_of(request))

    # -- the authoritative check, from the download handler -------------------------------
    async def admit(self, request: Request) -> None:
        """Return when ``request`` may go; raise IgnoreRequest when robots.txt forbids it."""
        if self._exempt(request):
            return
        while not isinstance(turn := self.ready_at(request), float) or turn > self.clock.now():
            if isinstance(turn, float):  # a failed fetch's back-off
                await asyncio.sleep(turn - self.clock.now())
            else:
                await asyncio.shield(turn)
        state = self._origins[origin_of(request)]
        state.unused = False
        self._verdict(request, state.rules or robots_rules.disallow_all("gave up for now"))

    async def _refresh(self, origin: str, request: Request, state: _Origin) -> None:
        try:
            # The store first (an earlier run's fetch); then a shared clock
            # (crawler/cluster/) shares verdicts: one fetch per cluster, the others wait.
            shared = self.clock.robots_store if isinstance(self.clock, SharesVerdicts) else None
            cached = self._from_store(origin)
            if cached is None and shared is not None:
                cached = await shared.load_or_claim(origin)
            if cached is not None:
                rules, valid_for = cached
            else:
                try:
                    rules = await self._fetch(origin, request)
                    valid_for = self.config.robots_cache_s
                    self._keep(origin, rules)
                    if shared is not None:
                        await shared.save(origin, rules, valid_for)
                except _RefusedHere as refused:
                    # Refused by this crawl itself (site terms, private address): so is
                    # every request to the host; no retrying, the requests are refused.
                    state.failures = self.config.robots_retry_times + 1
                    state.next_fetch_at = self.clock.now() + self.config.robots_cache_s
                    logger.debug("robots.txt of %s not fetched: %s", origin, refused)
                    return
                finally:
                    if shared is not None:
                        await shared.unclaim(origin)
            host = urlparse_cached(request).hostname or ""
            now = self.clock.now()
            if rules.kind != "disallow_all":
                state.rules = rules
                state.unused = True
                state.failures = 0
                state.next_fetch_at = now + valid_for
                self._told_unreachable.discard(origin)
                self.pace.set_robots_rate(
                    host,
                    origin,
                    rules.crawl_delay(self.config.product),
                    rules.rate_interval(self.config.product),
                )
                return
            state.failures += 1
            backoff = self.config.robots_retry_delay * 2 ** (state.failures - 1)
            state.next_fetch_at = now + min(backoff, _RETRY_CAP)
            self._inc("robots/unreachable")
            if state.rules is not None:
                logger.info(
                    "robots.txt of %s unreachable (%s): keeping the cached copy, retry in %.1f s",
                    origin,
                    rules.reason,
                    backoff,
                )
            else:
                logger.info(
                    "robots.txt of %s unreachable (%s): nothing allowed, retry in %.1f s",
                    origin,
                    rules.reason,
                    backoff,
                )
        finally:
            state.fetching = None

    # -- kept in the store between runs ---------------------------------------------------
    def _from_store(self, origin: str) -> tuple[RobotsFile, float] | None:
        """The verdict a run fetched within ROBOTSTXT_CACHE_SECONDS, and how long it holds."""
        if self._stored is None:
            return None
        try:
            kept = self._stored.take(origin)
            if kept is None:
                return None
            rules = kept_rules(kept)
        except Exception as error:  # the store away, or a row it can't use: ask the site
            logger.debug("robots.txt of %s not read from the store: %s", origin, error)
            return None
        valid_for = self.config.robots_cache_s - (utcnow() - kept.fetched_at).total_seconds()
        if valid_for <= 0:
            return None
        self._inc("robots/from_store")
        return rules, valid_for

    def _keep(self, origin: str, rules: RobotsFile) -> None:
        if self._kept is None or rules.kind == "disallow_all":
            return
        self._kept.put(
            origin, KeptRobots(rules.kind, rules.reason, rules.source, rules.truncated, utcnow())
        )

    def _read_all(self, url: str, limit: int) -> dict[str, KeptRobots | None] | None:
        with session_factory(url)() as session:
            found = load_robots_files(session, utcnow(), self._max_age, limit)
        return None if found is None else dict(found)

    async def _fetch(self, origin: str, trigger: Request) -> RobotsFile:
        """Fetch and judge ``origin``'s robots.txt, following up to the redirect limit."""
        assert self.crawler.engine is not None
        url = f"{origin}/robots.txt"
        host = urlparse_cached(trigger).hostname or ""
        for _hop in range(self.config.robots_max_redirects + 1):
            request = Request(
                url,
                priority=1000,
                callback=NO_CALLBACK,
                dont_filter=True,
                meta={
                    ROBOTS_META: origin,
                    "dont_redirect": True,
                    "dont_retry": True,
                    "dont_obey_robotstxt": True,
                    "handle_httpstatus_all": True,
                    # Its own slot: never queued behind the page request waiting for it.
                    "download_slot": f"{host} robots.txt",
                    # Read up to the parse limit on the wire (_bytes_received), whatever
                    # its Content-Length (the download handler's _read_up_to_the_limit); a
                    # compressed body may expand to a few times that, never to a bomb's size.
                    "download_maxsize": 4 * self.config.robots_max_bytes,
                    "download_warnsize": 0,
                },
            )
            self._inc("robots/requests")
            try:
                response = await self.crawler.engine.download_async(request)
            except IgnoreRequest as exc:
                raise _RefusedHere(f"request refused: {exc}") from exc
            except Exception as exc:  # time-outs, refused connections, DNS: unreachable
                return robots_rules.disallow_all(f"{type(exc).__name__}: {exc}")
            self._inc(f"robots/status/{response.status}")
            location = response.headers.get(b"Location")
            verdict = robots_rules.judge_answer(
                response.status,
                response.body,
                location.decode("latin-1") if location else None,
                response.url,
                self.config.robots_max_bytes,
            )
            if not isinstance(verdict, str):
                return verdict
            url = verdict
        return robots_rules.too_many_redirects(self.config.robots_max_redirects)

    def _bytes_received(self, data: bytes, request: Request, **_: Any) -> None:
        """Stop reading a robots.txt past the parse limit (RFC 9309, 2.5)."""
        if ROBOTS_META not in request.meta:
            return
        seen = request.meta.get("_robots_bytes", 0) + len(data)
        request.meta["_robots_bytes"] = seen
        if seen > self.config.robots_max_bytes:
            raise StopDownload(fail=False)

    # -- for the policy command and the summary -------------------------------------------
    def rules_for(self, origin: str) -> RobotsFile | None:
        state = self._origins.get(origin)
        return state.rules if state else None

    def response_is_robots(self, response: Response) -> bool:
        return ROBOTS_META in response.meta


def read_kept(database_url: str, origin: str, max_age: timedelta) -> KeptRobots | None:
    """``origin``'s robots.txt verdict kept in the store by a fetch within ``max_age``
    (a crawl's, or ``crawler policy``'s look at what the next crawl obeys)."""
    with session_factory(database_url)() as session:
        return load_robots_file(session, origin, utcnow(), max_age)


def kept_rules(kept: KeptRobots) -> RobotsFile:
    return robots_rules.reparse(kept.kind, kept.reason, kept.source, kept.truncated)
