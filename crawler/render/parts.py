"""The rendering objects of one crawl, built once each, on first use, on top of the crawl's
politeness stack (``crawler/politeness/stack.py``): the Politeness add-on builds both, since
it owns the ``RENDER_*`` settings and the paced handler decides what is rendered.
Playwright is imported only when the renderer is built."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from crawler.render.config import RenderConfig
from crawler.render.decision import RenderPolicy
from crawler.wiring import Parts

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.politeness.stack import PolitenessStack
    from crawler.render.renderer import Renderer

__all__ = ["RenderParts"]


class RenderParts:
    def __init__(self, crawler: Crawler, stack: PolitenessStack) -> None:
        self.crawler = crawler
        self.stack = stack

    def parts(self) -> Parts:
        """What the components ask for, by type (:mod:`crawler.wiring`)."""
        return {
            RenderParts: lambda: self,
            RenderConfig: lambda: self.config,
            RenderPolicy: lambda: self.policy,
        }

    @cached_property
    def config(self) -> RenderConfig:
        return RenderConfig.from_settings(self.crawler.settings)

    @cached_property
    def policy(self) -> RenderPolicy:
        return RenderPolicy(self.crawler, self.config, self.stack.terms)

    @cached_property
    def renderer(self) -> Renderer | None:
        """The crawl's renderer, or None when no site may render or there is no browser
        (then neither Playwright nor a browser process starts at all)."""
        if not self.policy.any_permitted() or self.policy.problem is not None:
            return None
        from crawler.render.renderer import Renderer
        from crawler.render.subrequests import SubRequestGate

        stack = self.stack
        gate = SubRequestGate(self.crawler, self.config, stack.config, stack.turns)
        renderer = Renderer(self.crawler, self.config, self.policy, gate)
        self.policy.warm_up = renderer.warm_up
        return renderer
