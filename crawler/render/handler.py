"""The download handler that renders where the crawler decided to, and fetches the rest.

It sits inside the politeness handler (``PACE_HTTP_HANDLER``), so every request, rendered
or not, has had its robots.txt verdict and its turn on the host's clock before it gets
here. A request whose meta asks for rendering (``render_js``) goes to the browser
(:mod:`crawler.render.renderer`) only if the policy (:mod:`crawler.render.decision`)
grants it; everything else, a stray ``playwright`` meta included, is a plain HTTP fetch.
Scrapy builds one handler per scheme; both share the crawl's one renderer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object

from crawler.politeness.handler import IN_HAND_META
from crawler.render.config import RenderConfig
from crawler.render.decision import RENDER_META, RenderPolicy
from crawler.render.parts import RenderParts
from crawler.wiring import part

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader.handlers import DownloadHandlerProtocol
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.render.renderer import Renderer

__all__ = ["RenderingDownloadHandler"]

logger = logging.getLogger(__name__)


class RenderingDownloadHandler(BaseDownloadHandler):
    lazy = False
    serves_in_hand = True
    """A request whose page is in hand (``IN_HAND_META``) never leaves from here: it is
    rendered from that page, or not at all. The politeness handler takes no turn for it."""

    def __init__(
        self,
        crawler: Crawler,
        config: RenderConfig,
        policy: RenderPolicy,
        renderer: Renderer | None,
    ) -> None:
        super().__init__(crawler)
        self.config = config
        self.policy = policy
        self.stats = crawler.stats
        self._plain: DownloadHandlerProtocol = build_from_crawler(
            load_object(self.config.plain_handler), crawler
        )
        self.renderer = renderer
        if self.renderer is not None:
            self.renderer.users += 1

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        parts = part(crawler, RenderParts)
        return cls(crawler, parts.config, parts.policy, parts.renderer)

    async def download_request(self, request: Request) -> Response:
        if request.meta.get(RENDER_META):
            host = urlparse_cached(request).hostname or ""
            verdict = self.policy.verdict(host)
            if verdict.render and self.renderer is not None:
                return await self.renderer.render(request, host)
            assert self.stats is not None
            self.stats.inc_value(
                f"render/refused/{verdict.key if not verdict.render else 'no_renderer'}"
            )
            logger.debug("Not rendering %s (%s)", request.url, verdict.reason)
        if IN_HAND_META in request.meta:
            # Its plain fetch was parsed already: fetching it again would cost the site a
            # request for nothing (and it was let through as one that sends nothing).
            raise IgnoreRequest(f"not rendered, its page already in hand: {request.url}")
        request.meta.pop("playwright", None)  # only the policy decides to render
        return await self._plain.download_request(request)

    async def close(self) -> None:
        await self._plain.close()
        if self.renderer is not None:
            self.renderer.users -= 1
            if self.renderer.users == 0:
                await self.renderer.close()
