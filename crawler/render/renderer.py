"""The crawl's one browser: scrapy-playwright's handler on Debian's Chromium, shared by the
http and https download handlers, with the sub-request gate on every page.

Pages render concurrently across hosts (the politeness handler lets one request per host
into the downloader, so never two at once on one host), at most ``RENDER_MAX_PAGES`` pages
open: a page is kept after its render, on its document, and navigated again by the next
one (a new page costs a Chromium window, more than the render itself; a blank document in
between cost a navigation per page). What a kept page's scripts ask meanwhile is refused
by the gate: the render that asked for the page is over. One browser context serves every
host (Chromium gives each context its own renderer process; cookies and storage stay
apart per site anyway), or one per host with ``RENDER_CONTEXT_PER_HOST``
(``RENDER_MAX_CONTEXTS`` kept, least recently used closed first). A page is rendered when
``RENDER_WAIT_UNTIL`` says so, by default once it has loaded and none of its sub-requests
has been in the gate for ``RENDER_SETTLE`` seconds, within ``RENDER_TIMEOUT``, whose
expiry ends in one clear log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy.exceptions import IgnoreRequest
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod
from scrapy_playwright.provider import PlaywrightBrowserProvider

from crawler.logsafe import level_number
from crawler.politeness.handler import OBSERVED_META
from crawler.render.browser import INSTALL_HINT
from crawler.render.config import SETTLED, RenderConfig
from crawler.render.decision import RenderPolicy
from crawler.render.subrequests import PageWatch, SubRequestGate

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.async_api import Page
    from playwright.async_api import Request as PlaywrightRequest
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["Renderer"]

logger = logging.getLogger(__name__)

_POLL = 0.01
"""How often a page waiting to settle looks at its requests in the gate (seconds)."""


class _StartBeside(PlaywrightBrowserProvider):  # type: ignore[misc]  # an untyped library
    """scrapy-playwright's browser provider, starting Playwright's driver beside the crawl:
    the handler awaits ``start()`` when the engine starts, which held the crawl's first
    request for the driver's start-up (0.3 s, a Node.js process); the browser's launch
    waits for it instead."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._starting: asyncio.Future[None] | None = None

    async def start(self) -> None:
        self._starting = asyncio.ensure_future(super().start())

    async def _started(self) -> None:
        if self._starting is not None:
            await asyncio.shield(self._starting)

    async def launch_browser(self) -> Any:
        await self._started()
        return await super().launch_browser()

    async def launch_persistent_context(self, context_kwargs: dict[str, Any]) -> Any:
        await self._started()
        return await super().launch_persistent_context(context_kwargs)

    async def close(self) -> None:
        with suppress(Exception):  # a driver that did not start has nothing to close
            await self._started()
        await super().close()


class _Browser(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]  # an untyped library
    """scrapy-playwright's handler, launching Debian's Chromium with our flags, and with
    the gate's fail-closed hook as its abort rule (reached only by requests that escaped
    the gate's own route); the user's ``PLAYWRIGHT_ABORT_REQUEST`` moves into the gate."""

    def __init__(self, crawler: Crawler, config: RenderConfig, gate: SubRequestGate) -> None:
        super().__init__(crawler)
        # Private: the class PLAYWRIGHT_BROWSER_PROVIDER names, read in the handler's
        # __init__ (a user's own provider is left alone); a start that does not hold the
        # engine upstream would remove this.
        if getattr(self, "browser_provider_cls", None) is PlaywrightBrowserProvider:
            self.browser_provider_cls = _StartBeside
        self.config.browser_type_name = "chromium"
        self.config.launch_options = config.launch_options(self.config.launch_options)
        user_rule: Callable[[PlaywrightRequest], Any] | None = getattr(self, "abort_request", None)
        gate.extra_rule = user_rule
        self.abort_request = gate.refuse_unrouted


class _QuietTimeouts(logging.Filter):
    """scrapy-playwright logs a time-out with a full traceback; ours says it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, PlaywrightTimeoutError)


class Renderer:
    """Renders the requests the policy granted; one per crawl."""

    def __init__(
        self, crawler: Crawler, config: RenderConfig, policy: RenderPolicy, gate: SubRequestGate
    ) -> None:
        self.config = config
        self.policy = policy
        self.stats = crawler.stats
        self.gate = gate
        self.browser = _Browser(crawler, self.config, self.gate)
        self.users = 0
        self._pages: asyncio.Semaphore | None = None
        self._rendering = 0
        self._idle: list[tuple[str, Page]] = []
        """(context name, page) of open pages no render uses, least recently used first."""
        self._contexts: dict[str, float] = {}  # context name -> last used
        self._busy: dict[str, int] = {}
        self._quiet = _QuietTimeouts()
        pw_logger = logging.getLogger("scrapy-playwright")
        pw_logger.addFilter(self._quiet)
        # scrapy-playwright asks its logger's level, not the crawl's LOG_LEVEL (which only
        # the handler applies), before logging every browser request and response: a call
        # to the driver per request for lines an INFO crawl throws away (7 % of the crawl
        # process's CPU when rendering). Its logger gets the crawl's level, for this crawl.
        self._pw_level = pw_logger.level
        if pw_logger.level == logging.NOTSET:
            pw_logger.setLevel(level_number(crawler.settings.get("LOG_LEVEL")))
        self._warming: asyncio.Task[None] | None = None

    def warm_up(self) -> None:
        """Start the browser now, once: a render was granted and its request waits for
        its turn (the plain pages found before it, the host's clock). The launch was
        0.15–0.4 s of the first render's time. A launch that fails is left for the render
        to try again and report."""
        if self._warming is None:
            self._warming = asyncio.ensure_future(self._launch())

    async def _launch(self) -> None:
        # Private: scrapy-playwright launches on a page's first need only; a public
        # "launch now" would remove this. Under its launch lock, which the first render
        # waits on; should this fail, that render's own launch tries again and says why.
        with suppress(Exception):
            await self.browser._maybe_launch_browser()

    async def render(self, request: Request, host: str) -> Response:
        if self._pages is None:
            self._pages = asyncio.Semaphore(self.config.max_pages)
        async with self._pages:
            self._rendering += 1
            try:
                return await self._render(request, host)
            finally:
                self._rendering -= 1

    async def _render(self, request: Request, host: str) -> Response:
        assert self.stats is not None
        context = f"render:{host}" if self.config.context_per_host else "render"
        watch = self.gate.watch(request, host, self.policy.entry(host))
        started = time.monotonic()
        settled = self.config.wait_until == SETTLED
        page = await self._page_for(context)
        request.meta.update(
            playwright=True,
            playwright_context=context,
            playwright_context_kwargs={
                "user_agent": watch.user_agent,
                "service_workers": "block",  # their requests would pass no route
                "accept_downloads": False,
            },
            playwright_page_goto_kwargs={
                "wait_until": "load" if settled else self.config.wait_until,
                "timeout": self.config.timeout_s * 1000,
            },
            playwright_include_page=True,  # kept for the next render
            playwright_page_methods=[PageMethod(self._settled, watch, started)] if settled else [],
        )
        if page is not None:
            request.meta["playwright_page"] = page
        # The gate tells the host's pace of errors itself; the politeness handler must
        # not take the render's length (sub-requests and their gaps) for the server's.
        request.meta[OBSERVED_META] = True
        self._busy[context] = self._busy.get(context, 0) + 1
        try:
            response: Response = await self.browser.download_request(request)
        except PlaywrightTimeoutError as exc:
            await self._close(request.meta.pop("playwright_page", None))
            self.stats.inc_value("render/timeouts")
            logger.warning(
                "Render of %s timed out after %.1f s (RENDER_TIMEOUT=%g, waiting for %r): "
                "page closed, its plain HTML stands",
                request.url,
                time.monotonic() - started,
                self.config.timeout_s,
                self.config.wait_until,
            )
            raise IgnoreRequest(f"render timed out: {request.url}") from exc
        except PlaywrightError as exc:
            await self._close(request.meta.pop("playwright_page", None))
            self.stats.inc_value("render/failed")
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            if not hasattr(self.browser, "browser"):
                if self.policy.problem is None:
                    problem = f"the browser at {self.config.browser_path} did not start"
                    self.policy.disable(problem)
                    logger.error(
                        "Rendering is off for this crawl: %s (%s); %s. The crawl goes on "
                        "with plain HTML.",
                        problem,
                        first_line,
                        INSTALL_HINT,
                    )
            else:
                logger.warning("Render of %s failed: %s", request.url, first_line)
            raise IgnoreRequest(f"render failed: {request.url}") from exc
        finally:
            watch.over = True
            self._busy[context] -= 1
            self._contexts[context] = time.monotonic()
        self._park(context, request.meta.pop("playwright_page", None))
        request.meta.pop("playwright_page_methods", None)
        self.stats.inc_value("render/pages")
        self.stats.inc_value(f"render/pages/{host}")
        await self._close_idle_contexts()
        return response

    async def _settled(self, page: Page, watch: PageWatch, started: float) -> None:
        """After the load event: wait until none of the page's requests has been in the
        gate (fetching, or waiting for the host's turn) for ``RENDER_SETTLE`` seconds.
        The page's last answer has then had that long to run its script, and a request
        it makes in reply enters the gate and restarts the wait."""
        deadline = started + self.config.timeout_s
        clock = self.gate.clock
        while True:
            now = clock.now()
            quiet = now - watch.touched
            if watch.in_flight == 0 and quiet >= self.config.settle_s:
                return
            if time.monotonic() >= deadline:
                raise PlaywrightTimeoutError(
                    f"{page.url}: sub-requests still in flight after {self.config.timeout_s} s"
                )
            left = self.config.settle_s - quiet if watch.in_flight == 0 else _POLL
            await asyncio.sleep(max(0.001, min(left, _POLL, deadline - time.monotonic())))

    async def _page_for(self, context: str) -> Page | None:
        """An idle page of ``context`` to navigate again, or None for a new one (after
        closing idle pages of other contexts, so that at most RENDER_MAX_PAGES are open)."""
        for i in range(len(self._idle) - 1, -1, -1):
            name, page = self._idle[i]
            if name == context:
                del self._idle[i]
                if not page.is_closed():
                    return page
                break
        while self._idle and len(self._idle) + self._rendering > self.config.max_pages:
            _name, page = self._idle.pop(0)
            await self._close(page)
        return None

    def _park(self, context: str, page: Page | None) -> None:
        """Keep the page for the next render as it is: no blank document in between (a
        navigation each, 15 % of a render's CPU). Its scripts may go on running; what they
        ask is refused (the gate knows the render is over, and a context route refuses
        what a page asks while the next render swaps its routes)."""
        if page is None or page.is_closed():
            return
        self.gate.keep(page)
        self._idle.append((context, page))

    async def _close(self, page: Page | None) -> None:
        if page is not None:
            with suppress(PlaywrightError):  # already closed with its context or the browser
                await page.close()

    async def _close_idle_contexts(self) -> None:
        """Keep at most RENDER_MAX_CONTEXTS contexts: close the least recently used idle ones."""
        wrappers = self.browser.context_wrappers
        idle = sorted(
            (used, name)
            for name, used in self._contexts.items()
            if not self._busy.get(name) and name in wrappers
        )
        excess = len(wrappers) - self.config.max_contexts
        for _used, name in idle[: max(0, excess)]:
            self._contexts.pop(name, None)
            self._idle = [idle for idle in self._idle if idle[0] != name]
            with suppress(PlaywrightError):  # already closed with the browser
                await wrappers[name].context.close()

    async def close(self) -> None:
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
            with suppress(asyncio.CancelledError):
                await self._warming
        try:
            await self.browser.close()
        finally:
            pw_logger = logging.getLogger("scrapy-playwright")
            pw_logger.removeFilter(self._quiet)
            pw_logger.setLevel(self._pw_level)
