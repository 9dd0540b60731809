"""The rendering objects of one crawl, built once each, on first use: part of the crawl's
politeness stack (``crawler/politeness/stack.py``), since the Politeness add-on owns the
``RENDER_*`` settings and the paced handler decides what is rendered."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.render.config import RenderConfig
    from crawler.render.decision import RenderPolicy
    from crawler.render.renderer import Renderer

__all__ = ["RenderParts"]


class RenderParts:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @cached_property
    def config(self) -> RenderConfig:
        from crawler.render.config import RenderConfig

        return RenderConfig.from_settings(self.crawler.settings)

    @cached_property
    def policy(self) -> RenderPolicy:
        from crawler.render.decision import RenderPolicy

        return RenderPolicy(self.crawler)

    @cached_property
    def renderer(self) -> Renderer:
        from crawler.render.renderer import Renderer

        return Renderer(self.crawler, self.policy)
