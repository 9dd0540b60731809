"""The rendering objects of one crawl, built once each, on first use: part of the crawl's
politeness stack (``crawler/politeness/stack.py``), since the Politeness add-on owns the
``RENDER_*`` settings and the paced handler decides what is rendered. Playwright is
imported only when the renderer is built."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from crawler.render.config import RenderConfig
from crawler.render.decision import RenderPolicy

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.politeness.clock import HostClock
    from crawler.politeness.config import PolitenessConfig
    from crawler.politeness.pace import PacePolicy
    from crawler.politeness.terms import TermsRegistry
    from crawler.render.renderer import Renderer

__all__ = ["RenderParts"]


class RenderParts:
    def __init__(
        self,
        crawler: Crawler,
        politeness: PolitenessConfig,
        terms: TermsRegistry,
        clock: HostClock,
        pace: PacePolicy,
    ) -> None:
        self.crawler = crawler
        self.politeness = politeness
        self.terms = terms
        self.clock = clock
        self.pace = pace

    @cached_property
    def config(self) -> RenderConfig:
        return RenderConfig.from_settings(self.crawler.settings)

    @cached_property
    def policy(self) -> RenderPolicy:
        return RenderPolicy(self.crawler, self.config, self.terms)

    @cached_property
    def renderer(self) -> Renderer | None:
        """The crawl's renderer, or None when no site may render or there is no browser
        (then neither Playwright nor a browser process starts at all)."""
        if not self.policy.any_permitted() or self.policy.problem is not None:
            return None
        from crawler.render.renderer import Renderer
        from crawler.render.subrequests import SubRequestGate

        gate = SubRequestGate(self.crawler, self.config, self.politeness, self.clock, self.pace)
        return Renderer(self.crawler, self.config, self.policy, gate)
