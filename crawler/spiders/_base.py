"""The base of the shipped spiders: they bring the add-ons they never run without."""

from __future__ import annotations

import scrapy
from scrapy.settings import BaseSettings

from crawler.addons import bring_addons

__all__ = ["PoliteSpider"]


class PoliteSpider(scrapy.Spider):
    """A spider that enables the Politeness, Tracklists and cluster add-ons itself, so that
    running it (or a subclass, with ``scrapy runspider``) in any project stays polite."""

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The spider's own settings, then the add-ons it never runs without."""
        super().update_settings(settings)
        bring_addons(settings)
