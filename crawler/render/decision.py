"""When a page is rendered: only where the site allows it, and only when it must be.

A page is rendered when its site's terms say ``render_js = true`` (default: never) and
its plain HTML holds no tracklist, so a page that works without JavaScript is never
rendered. The spider asks :func:`render_request` after extracting; the download handler
checks the same policy again, so no request renders just because its meta says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy.utils.httpobj import urlparse_cached

from crawler.extras import missing
from crawler.incremental.meta import SKIP as INCREMENTAL_SKIP
from crawler.politeness.config import PolitenessConfig
from crawler.politeness.handler import IN_HAND_META
from crawler.politeness.meta_robots import page_directives
from crawler.politeness.tdm import reserved_by_page
from crawler.politeness.terms import SiteTerms, TermsRegistry
from crawler.render.browser import INSTALL_HINT, browser_problem
from crawler.render.config import RenderConfig
from crawler.wiring import part

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = [
    "RENDER_META",
    "PlainPage",
    "RenderPolicy",
    "Verdict",
    "decide",
    "page_depth",
    "render_request",
]

logger = logging.getLogger(__name__)

RENDER_META = "render_js"
"""Request meta: True asks for the page to be rendered (granted only where permitted)."""


@dataclass(frozen=True)
class PlainPage:
    """The page as its plain fetch got it, handed to the browser as the navigation's
    answer: rendering a page the crawler already holds costs its site no second request
    for it (only the sub-requests the script makes, each paced)."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    """Name and value pairs, without the transfer's own (length, encodings): the body is
    the decoded one."""
    body: bytes

    _TRANSFER = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})

    @classmethod
    def of(cls, response: Response) -> PlainPage:
        headers = []
        for raw, values in response.headers.items():
            name = raw.decode("latin-1")
            if name.lower() not in cls._TRANSFER:
                headers += [(name, value.decode("latin-1")) for value in values]
        return cls(response.url, response.status, tuple(headers), response.body)

    def fulfil_headers(self) -> dict[str, str]:
        """For Playwright's ``route.fulfill``: one value per name, ``Set-Cookie`` values
        joined by newlines (Playwright splits them again), others by commas (RFC 9110)."""
        joined: dict[str, list[str]] = {}
        for name, value in self.headers:
            joined.setdefault(name.lower(), []).append(value)
        return {
            name: ("\n" if name == "set-cookie" else ", ").join(values)
            for name, values in joined.items()
        }


@dataclass(frozen=True)
class Verdict:
    render: bool
    key: str
    """Short name of the reason, for stats: ``render``, ``no_browser``, ``sets_dropped``..."""
    reason: str


def decide(
    *,
    enabled: bool,
    permitted: bool,
    found_sets: bool,
    rendered: bool,
    browser: bool,
    sets_dropped: bool = False,
) -> Verdict:
    """The rendering policy, in one place (a table test covers every row)."""
    if rendered:
        return Verdict(False, "rendered", "already rendered")
    if found_sets:
        return Verdict(False, "found", "the plain HTML holds a tracklist")
    if not enabled:
        return Verdict(False, "disabled", "RENDER_ENABLED is off")
    if not permitted:
        return Verdict(False, "not_permitted", "site terms do not say render_js = true")
    if sets_dropped:
        return Verdict(
            False, "sets_dropped", "the page's sets would be dropped (noindex or TDM reservation)"
        )
    if not browser:
        return Verdict(False, "no_browser", "no browser installed")
    return Verdict(True, "render", "render_js = true and the plain HTML holds no tracklist")


class RenderPolicy:
    """The crawl's view of the policy: terms, settings and whether a browser exists."""

    def __init__(self, crawler: Crawler, config: RenderConfig, terms: TermsRegistry) -> None:
        self.crawler = crawler
        self.config = config
        self.terms = terms
        self.problem = missing("render") or browser_problem(self.config.browser_path)
        """Why there is no browser (or no Playwright: the ``render`` extra), or None."""
        self.warm_up: Callable[[], None] = lambda: None
        """Called when a render is granted: the renderer starts the browser then, while
        the render's request waits for its turn."""
        self._told = False

    def entry(self, host: str) -> SiteTerms | None:
        """The terms entry that lets ``host`` render, or None."""
        entry = self.terms.lookup(host)
        return entry if entry is not None and entry.render_js else None

    def any_permitted(self) -> bool:
        """Whether any site in the registry lets JavaScript run (else no browser starts)."""
        return self.config.enabled and any(e.render_js for e in self.terms)

    def verdict(
        self,
        host: str,
        found_sets: bool = False,
        rendered: bool = False,
        sets_dropped: bool = False,
    ) -> Verdict:
        verdict = decide(
            enabled=self.config.enabled,
            permitted=self.entry(host) is not None,
            found_sets=found_sets,
            rendered=rendered,
            browser=self.problem is None,
            sets_dropped=sets_dropped,
        )
        if verdict.key == "no_browser":
            self._tell_no_browser(host)
        return verdict

    def disable(self, problem: str) -> None:
        """No more rendering in this crawl (the browser would not start; the caller has
        said so)."""
        self.problem = problem
        self._told = True

    def _tell_no_browser(self, host: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("render/skipped/no_browser")
        if self._told:
            return
        self._told = True
        logger.warning(
            "Not rendering JavaScript (site terms allow it for %s): %s; %s. "
            "The crawl goes on with plain HTML.",
            host,
            self.problem,
            INSTALL_HINT,
        )


def is_rendered(response: Response) -> bool:
    return "playwright" in response.flags or bool(response.meta.get(RENDER_META))


def render_request(crawler: Crawler, response: Response, found_sets: bool) -> Request | None:
    """The same page again, through the browser, when the policy says so; else None."""
    rendered = is_rendered(response)
    if found_sets or rendered:
        return None  # the common case, decided without reading the page again
    host = urlparse_cached(response).hostname or ""
    policy = part(crawler, RenderPolicy)
    if policy.entry(host) is None:
        return None
    verdict = policy.verdict(host, found_sets, rendered, _sets_dropped(crawler, response))
    if not verdict.render:
        if verdict.key == "sets_dropped":
            assert crawler.stats is not None
            crawler.stats.inc_value("render/skipped/sets_dropped")
        return None
    assert crawler.stats is not None
    crawler.stats.inc_value("render/requested")
    policy.warm_up()
    return response.request.replace(  # type: ignore[union-attr]
        url=response.url,
        dont_filter=True,
        # Fresh meta: nothing of the plain download carries over but the page itself, which
        # the browser gets from here instead of from the site (the politeness handler takes
        # no turn for it). Not recorded as a fetch of the page (the plain one was).
        meta={RENDER_META: True, INCREMENTAL_SKIP: True, IN_HAND_META: PlainPage.of(response)},
    )


def _sets_dropped(crawler: Crawler, response: Response) -> bool:
    """Whether the politeness rules would drop this page's sets (``noindex``, a TDM
    reservation): rendering it would cost the site for nothing."""
    config = part(crawler, PolitenessConfig)
    if config.noindex_drops_items and page_directives(response, config.product).noindex:
        return True
    return config.tdm_drops_items and reserved_by_page(response)


def page_depth(response: Response) -> int:
    """The link depth of the page: a rendered re-request is the same page, not a child."""
    depth = int(response.meta.get("depth", 0))
    return depth - 1 if is_rendered(response) and depth > 0 else depth
