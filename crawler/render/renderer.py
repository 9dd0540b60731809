"""The crawl's one browser: scrapy-playwright's handler on Debian's Chromium, shared by the
http and https download handlers, with the sub-request gate on every page.

A fresh context per host (``RENDER_MAX_CONTEXTS`` kept, least recently used closed first),
pages closed after use, at most ``RENDER_MAX_PAGES`` pages at once, and a time-out per page
(``RENDER_TIMEOUT``) that ends in one clear log line.
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

from crawler.politeness.handler import OBSERVED_META
from crawler.render.browser import INSTALL_HINT
from crawler.render.config import RenderConfig
from crawler.render.decision import RenderPolicy
from crawler.render.subrequests import PAGE_META, SubRequestGate

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.async_api import Request as PlaywrightRequest
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["Renderer"]

logger = logging.getLogger(__name__)


class _Browser(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]  # an untyped library
    """scrapy-playwright's handler, launching Debian's Chromium with our flags, and with
    the gate's fail-closed hook as its abort rule (reached only by requests that escaped
    the gate's own route); the user's ``PLAYWRIGHT_ABORT_REQUEST`` moves into the gate."""

    def __init__(self, crawler: Crawler, config: RenderConfig, gate: SubRequestGate) -> None:
        super().__init__(crawler)
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
        self._contexts: dict[str, float] = {}  # context name -> last used
        self._busy: dict[str, int] = {}
        self._quiet = _QuietTimeouts()
        logging.getLogger("scrapy-playwright").addFilter(self._quiet)

    async def render(self, request: Request, host: str) -> Response:
        if self._pages is None:
            self._pages = asyncio.Semaphore(self.config.max_pages)
        async with self._pages:
            return await self._render(request, host)

    async def _render(self, request: Request, host: str) -> Response:
        assert self.stats is not None
        context = f"render:{host}"
        self.gate.watch(request, host, self.policy.entry(host))
        request.meta.update(
            playwright=True,
            playwright_context=context,
            playwright_context_kwargs={
                "user_agent": request.meta[PAGE_META].user_agent,
                "service_workers": "block",  # their requests would pass no route
                "accept_downloads": False,
            },
            playwright_page_goto_kwargs={
                "wait_until": self.config.wait_until,
                "timeout": self.config.timeout_s * 1000,
            },
            playwright_include_page=False,  # the page closes as soon as its HTML is read
        )
        # The gate tells the host's pace of errors itself; the politeness handler must
        # not take the render's length (sub-requests and their gaps) for the server's.
        request.meta[OBSERVED_META] = True
        self._busy[context] = self._busy.get(context, 0) + 1
        started = time.monotonic()
        try:
            response: Response = await self.browser.download_request(request)
        except PlaywrightTimeoutError as exc:
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
            self._busy[context] -= 1
            self._contexts[context] = time.monotonic()
        self.stats.inc_value("render/pages")
        self.stats.inc_value(f"render/pages/{host}")
        await self._close_idle_contexts()
        return response

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
            with suppress(PlaywrightError):  # already closed with the browser
                await wrappers[name].context.close()

    async def close(self) -> None:
        try:
            await self.browser.close()
        finally:
            logging.getLogger("scrapy-playwright").removeFilter(self._quiet)
