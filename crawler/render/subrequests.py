"""The browser's sub-requests, held to the crawler's own rules.

scrapy-playwright's README warns that a page's sub-requests bypass Scrapy's scheduler and
middlewares. This gate closes that hole. For every rendered page it installs a route that
takes each request the page makes (the navigation included) and

1. refuses what no page needs or may load (:mod:`crawler.render.rules`): images, media,
   fonts and anything outside http(s) or outside the page's site,
2. refuses hosts that resolve to private addresses (unless ``ALLOW_PRIVATE_HOSTS``), asks
   the host's robots.txt (``crawler.politeness.robots``) and refuses what it disallows,
3. counts it against the site's daily quota (``crawler.politeness.quota``), like every
   request the crawler sends, and waits for the host's turn (``crawler.politeness.turns``:
   the clock and the pace the crawler's own requests ask), so a rendered page can't burst
   past the pace nor past the day's limit,
4. fetches it itself, with the crawler's User-Agent and without following redirects: the
   browser follows a redirect without asking any route, so each hop is checked and paced
   here, then the final answer is handed to the page.

A page is kept open after its render and navigated again by the next one: what its scripts
ask in between is refused (``parked``), by its route (the render it belongs to is over) or,
while the next render swaps the page's routes, by a route on its browser context.

The navigation's first hop is the page the crawler fetched plainly and found empty: it is
answered with that page (``IN_HAND_META``), so the site is not asked for it twice and no
turn is taken for it. A navigation without one (a spider's own ``render_js`` request) has
been checked and paced by the politeness download handler and is fetched at once.

scrapy-playwright's own route (where ``PLAYWRIGHT_ABORT_REQUEST`` runs) only sees a request
if this route is missing; there, :meth:`SubRequestGate.refuse_unrouted` aborts it: the gate
fails closed.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from playwright.async_api import Error as PlaywrightError
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from crawler.politeness.config import PolitenessConfig
from crawler.politeness.handler import IN_HAND_META
from crawler.politeness.private_hosts import is_private_address, resolve
from crawler.politeness.retry_after import STATUSES, parse_retry_after
from crawler.politeness.terms import SiteTerms
from crawler.politeness.turns import HostDropped, HostLocks, Turns
from crawler.render.config import RenderConfig
from crawler.render.rules import abort_reason

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.async_api import APIResponse, BrowserContext, Page, Route
    from playwright.async_api import Request as PlaywrightRequest
    from scrapy.crawler import Crawler

    from crawler.render.decision import PlainPage

__all__ = ["PAGE_META", "SubRequestGate"]

logger = logging.getLogger(__name__)

PAGE_META = "render_page"
"""Request meta: the :class:`PageWatch` of the page rendering this request."""
_MAX_HOPS = 5
_GRACE = 1.0
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ERROR_STATUSES = frozenset({429, 500, 502, 503, 504, 522, 524})  # as the politeness handler


@dataclass
class PageWatch:
    """What the gate knows about one page being rendered."""

    url: str
    host: str
    entry: SiteTerms | None
    user_agent: str
    headers: dict[str, str]
    """The Scrapy request's headers, sent with the navigation."""
    in_hand: PlainPage | None = None
    """The page as its plain fetch got it: the navigation's answer."""
    deadline: float = float("inf")
    """On the clock's time base: when fetches for the page give up, a little after the
    render's time-out (so that the time-out, with its log line, is what ends the page)."""
    navigated: bool = False
    in_flight: int = 0
    """Requests of the page in the gate now: checked, waiting for their turn or fetching."""
    touched: float = 0.0
    """On the clock's time base: when one last entered or left the gate (the renderer
    waits for a quiet spell after the last one)."""
    over: bool = False
    """The render is over: the page is kept for the next one, and what its scripts ask
    now is refused."""

    def enter(self, now: float) -> None:
        self.in_flight += 1
        self.touched = now

    def leave(self, now: float) -> None:
        self.in_flight -= 1
        self.touched = now


class SubRequestGate:
    """Robots.txt, pace, site and resource rules for every request a rendered page makes."""

    def __init__(
        self,
        crawler: Crawler,
        config: RenderConfig,
        politeness: PolitenessConfig,
        turns: Turns,
    ) -> None:
        self.crawler = crawler
        self.config = config
        self.politeness = politeness
        self.turns = turns
        self.clock = turns.clock
        self.stats = crawler.stats
        self.extra_rule: Callable[[PlaywrightRequest], Any] | None = None
        """The user's ``PLAYWRIGHT_ABORT_REQUEST``: may abort more, never allow more."""
        self._told_unrouted = False
        self._told_no_robots = False
        self._locks = HostLocks()
        self._private_hosts: dict[str, bool] = {}
        self._kept: weakref.WeakSet[Page] = weakref.WeakSet()
        """Pages between two renders: what they ask is refused without a warning."""
        self._guarded: weakref.WeakSet[BrowserContext] = weakref.WeakSet()

    def _inc(self, key: str) -> None:
        assert self.stats is not None
        self.stats.inc_value(f"render/{key}")

    def _aborted(self, reason: str, url: str) -> None:
        self._inc(f"subrequests/aborted/{reason}")
        logger.debug("Browser sub-request aborted (%s): %s", reason, url)

    # -- set up per page ------------------------------------------------------------------
    def watch(self, request: Request, host: str, entry: SiteTerms | None) -> PageWatch:
        """Ready ``request`` for rendering: the gate's route goes on its page first."""
        headers = request.headers.to_unicode_dict()
        user_agent = headers.get("User-Agent") or self.politeness.user_agent
        headers["User-Agent"] = user_agent
        watch = request.meta[PAGE_META] = PageWatch(
            request.url,
            host,
            entry,
            user_agent,
            # the browser's driver decodes what it asks for, not what Scrapy can decode
            {str(k).lower(): v for k, v in headers.items() if str(k).lower() != "accept-encoding"},
            request.meta.get(IN_HAND_META),
        )
        request.meta["playwright_page_init_callback"] = self._install
        return watch

    async def _install(self, page: Page, request: Request) -> None:
        """scrapy-playwright's page init callback: our route, registered after its own,
        runs first (Playwright tries routes newest first) and never falls back to it."""
        watch: PageWatch = request.meta[PAGE_META]

        async def route(route: Route, pw_request: PlaywrightRequest) -> None:
            await self._route(watch, route, pw_request)

        context = page.context
        if context not in self._guarded:
            # Under every page's routes: reached only by a request no page route takes,
            # which a kept page's scripts can make while scrapy-playwright swaps its routes
            # for the next render (unroute, then route): refused, never sent unpaced.
            self._guarded.add(context)
            await context.route("**", self._refuse_unrouted_route)
        await page.route("**", route)
        self._kept.discard(page)

    def keep(self, page: Page) -> None:
        """``page`` waits for its next render: what it asks until then is refused."""
        self._kept.add(page)

    # -- the fail-closed hook for scrapy-playwright's own route -------------------------
    def refuse_unrouted(self, pw_request: PlaywrightRequest) -> bool:
        """``PLAYWRIGHT_ABORT_REQUEST`` of the handler: anything reaching scrapy-playwright's
        route escaped ours, so it is aborted."""
        if _page_of(pw_request) in self._kept:
            self._aborted("parked", pw_request.url)
            return True
        self._aborted("unrouted", pw_request.url)
        if not self._told_unrouted:
            self._told_unrouted = True
            logger.warning(
                "A browser request reached no gate (%s) and was aborted; "
                "the page it belongs to may render incompletely",
                pw_request.url,
            )
        return True

    async def _refuse_unrouted_route(self, route: Route, pw_request: PlaywrightRequest) -> None:
        self.refuse_unrouted(pw_request)
        await _abort(route, "blockedbyclient")

    # -- each request --------------------------------------------------------------------
    async def _route(self, watch: PageWatch, route: Route, pw_request: PlaywrightRequest) -> None:
        watch.enter(self.clock.now())
        try:
            await self._decide(watch, route, pw_request)
        except Exception as exc:  # a request left hanging would stall the page: abort it
            self._aborted("error", pw_request.url)
            logger.warning("Browser request %s aborted: %r", pw_request.url, exc)
            await _abort(route, "failed")
        finally:
            watch.leave(self.clock.now())

    async def _decide(self, watch: PageWatch, route: Route, pw_request: PlaywrightRequest) -> None:
        url = pw_request.url
        is_page = (
            not watch.navigated
            and pw_request.is_navigation_request()
            and pw_request.frame.parent_frame is None
        )
        if is_page and not watch.over:
            watch.navigated = True
            # the navigation's time-out has just started: fetches give up a little later
            watch.deadline = self.clock.now() + self.config.timeout_s + _GRACE
        elif (reason := await self._refusal(watch, pw_request)) is not None:
            self._aborted(reason, url)
            await _abort(route, "blockedbyclient")
            return
        in_hand = watch.in_hand if is_page else None
        if in_hand is not None and in_hand.url == url and pw_request.method == "GET":
            self._inc("navigations_in_hand")
            with suppress(PlaywrightError):  # the page closed meanwhile
                await route.fulfill(
                    status=in_hand.status, headers=in_hand.fulfil_headers(), body=in_hand.body
                )
            return
        headers = await pw_request.all_headers()
        headers["user-agent"] = watch.user_agent
        if is_page:
            headers.update(watch.headers)
        # Paced here unless the politeness handler paced it: a page meant to be in hand
        # that the browser asks for by another URL took no turn there.
        paced = not is_page or watch.in_hand is not None
        try:
            response = await self._fetch(watch, route, pw_request, headers, paced=paced)
        except _Refused as exc:
            self._aborted(exc.reason, exc.url)
            await _abort(route, "blockedbyclient")
            return
        except PlaywrightError as exc:
            self._inc("subrequests/failed")
            logger.debug("Browser sub-request failed: %s (%s)", url, exc)
            await _abort(route, "failed")
            return
        try:
            await route.fulfill(response=response)
        except PlaywrightError as exc:  # the page closed (time-out) while we fetched
            logger.debug("Page gone before %s could be delivered: %s", url, exc)

    async def _refusal(self, watch: PageWatch, pw_request: PlaywrightRequest) -> str | None:
        """Why a request other than the page's navigation is refused, or None."""
        if watch.over or not watch.navigated:
            # the page's render is over, or the next one's navigation has not begun: the
            # document asking is the one a finished render left
            return "parked"
        reason = abort_reason(
            pw_request.url,
            pw_request.resource_type,
            watch.host,
            watch.entry,
            self.config.resource_types,
        )
        if reason is None and self.extra_rule is not None:
            verdict = self.extra_rule(pw_request)
            if asyncio.iscoroutine(verdict):
                verdict = await verdict
            reason = "user_rule" if verdict else None
        return reason

    async def _fetch(
        self,
        watch: PageWatch,
        route: Route,
        pw_request: PlaywrightRequest,
        headers: dict[str, str],
        paced: bool,
    ) -> APIResponse:
        """Fetch the request and, hop by hop, its redirects: each hop admitted and paced."""
        url, method, body = pw_request.url, pw_request.method, pw_request.post_data_buffer
        for hop in range(_MAX_HOPS + 1):
            host = urlsplit(url).hostname or ""
            if paced:
                await self._admit(url, host)
                async with self._locks.hold(host):  # one request at a time per host
                    try:
                        await self.turns.take(host)
                    except HostDropped:
                        raise _Refused("host_skipped", url) from None
                    response = await self._send(route, watch, url, method, headers, body)
                self._inc("subrequests/allowed")
            else:  # the page itself: checked and paced by the politeness handler
                response = await self._send(route, watch, url, method, headers, body)
            location = response.headers.get("location")
            if response.status not in _REDIRECTS or not location:
                return response
            url = urljoin(url, location)
            if response.status in (301, 302, 303) and method != "HEAD":
                method, body = "GET", None
                headers.pop("content-type", None)
            self._inc("subrequests/redirects")
            reason = abort_reason(
                url,
                pw_request.resource_type,
                watch.host,
                watch.entry,
                self.config.resource_types | {"document"},
            )
            if reason is not None:
                raise _Refused(reason, url)
            paced = True
            if hop == _MAX_HOPS:
                break
        raise _Refused("redirects", url)

    async def _send(
        self,
        route: Route,
        watch: PageWatch,
        url: str,
        method: str,
        headers: dict[str, str],
        body: bytes | None,
    ) -> APIResponse:
        """One HTTP request, no redirects followed; the clock and the pace hear how it went.

        Only errors slow the host down from here: a fetch through the
        browser's driver takes the driver's own time too (its first in a context ~0.1 s on
        loopback), which says nothing about the server; the page's plain fetch, which every
        render follows, measured the server's latency.
        """
        host = urlsplit(url).hostname or ""
        sent = self.clock.now()
        try:
            response = await route.fetch(
                url=url,
                method=method,
                headers=headers,
                post_data=body,
                max_redirects=0,
                timeout=max(0.1, watch.deadline - sent) * 1000,
            )
        except PlaywrightError:
            await self.turns.done(host, sent, self.clock.now(), error=True)
            raise
        # Every fetch, the page's own included, tells the clock when it really left and
        # came back: the browser may send the page well after the politeness handler's
        # reservation (a new context, a free page slot), and its first sub-request must
        # keep the gap after that, not after the reservation.
        error = response.status in _ERROR_STATUSES
        await self.turns.done(host, sent, self.clock.now(), True if error else None)
        if response.status in STATUSES:
            await self._retry_after(host, response)
        return response

    async def _retry_after(self, host: str, response: APIResponse) -> None:
        """A 429/503 with Retry-After pauses the host for every request, not just ours."""
        wait = parse_retry_after(response.headers.get("retry-after"))
        answered = f"a browser sub-request got {response.status}"
        if wait is not None and await self.turns.retry_after(host, wait, answered):
            self._inc("subrequests/paused_by_retry_after")

    async def _admit(self, url: str, host: str) -> None:
        """Raise _Refused when the run, the host's robots.txt or its daily quota says no
        (the quota counts the request when it may go)."""
        if self.turns.dropped(host) is not None:
            raise _Refused("host_skipped", url)
        if not self.politeness.allow_private_hosts and await self._private(host):
            raise _Refused("private_host", url)
        robots = self._robots()
        if robots is not None:
            probe = Request(url, headers={"User-Agent": self.politeness.user_agent})
            try:
                await robots.admit(probe)
            except IgnoreRequest as exc:
                raise _Refused("robots", url) from exc
        elif self.politeness.obey_robots:
            raise _Refused("robots_unknown", url)
        if await self.turns.count(host, urlsplit(url).path or "/") is not None:
            raise _Refused("daily_quota", url)  # and the host is left out for the run

    async def _private(self, host: str) -> bool:
        """Whether ``host`` resolves to a private address (``ALLOW_PRIVATE_HOSTS``), as
        ``crawler.politeness.private_hosts`` decides for the crawler's own requests."""
        if host not in self._private_hosts:
            try:
                addresses = await asyncio.to_thread(resolve, host)
            except OSError:
                addresses = []
            private = not addresses or any(is_private_address(a) for a in addresses)
            self._private_hosts[host] = private
        return self._private_hosts[host]

    def _robots(self) -> Any:
        """The crawl's robots.txt authority: ``crawler.politeness.robots.RobotsPolicy``."""
        from crawler.politeness.robots import RobotsPolicy

        engine = self.crawler.engine
        if engine is None:
            return None
        for mw in engine.downloader.middleware.middlewares:
            if isinstance(mw, RobotsPolicy):
                return mw
        if self.politeness.obey_robots and not self._told_no_robots:
            self._told_no_robots = True
            logger.warning(
                "ROBOTSTXT_OBEY is on but crawler.politeness.robots.RobotsPolicy is not in "
                "DOWNLOADER_MIDDLEWARES: browser sub-requests are refused"
            )
        return None


class _Refused(Exception):
    def __init__(self, reason: str, url: str) -> None:
        super().__init__(f"{reason}: {url}")
        self.reason = reason
        self.url = url


def _page_of(pw_request: PlaywrightRequest) -> Page | None:
    with suppress(PlaywrightError):  # a frame detached meanwhile
        return pw_request.frame.page
    return None


async def _abort(route: Route, code: str) -> None:
    with suppress(PlaywrightError):  # the page is already gone
        await route.abort(code)
