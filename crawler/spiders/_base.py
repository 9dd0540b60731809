"""The base of the shipped spiders: they bring the add-ons they never run without; those of
a JSON API share how they ask it and how they take a bad answer."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawler.addons import bring_addons

__all__ = ["ApiSpider", "PoliteSpider"]


class PoliteSpider(scrapy.Spider):
    """A spider that enables the Politeness, Tracklists and cluster add-ons itself, so that
    running it (or a subclass, with ``scrapy runspider``) in any project stays polite."""

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The spider's own settings, then the add-ons it never runs without."""
        super().update_settings(settings)
        bring_addons(settings)


class ApiSpider(PoliteSpider):
    """A spider of one JSON API (KEXP, setlist.fm, MusicBrainz, MixesDB's api.php): its base
    URL from a setting, requests asking for JSON, and an answer that is not a JSON object or
    a request that failed each counted (``<name>/bad_json``, ``<name>/failed``) and logged
    with the API's name: a bad answer is a logged skip, never a crash of the crawl."""

    api_setting: ClassVar[str]
    """The setting that holds the API's base URL."""
    api_label: ClassVar[str]
    """The API's name in log lines."""

    @property
    def api(self) -> str:
        return str(self.settings.get(self.api_setting)).rstrip("/")

    def api_headers(self) -> dict[str, str]:
        """Headers of every request (a key-holding API adds its key)."""
        return {"Accept": "application/json"}

    def _get(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            cb_kwargs=cb_kwargs,
            headers=self.api_headers(),
            errback=self.failed,
        )

    def _json(self, response: Response) -> dict[str, Any] | None:
        """The answer's JSON object, or None (counted and logged) when it is not one."""
        try:
            data = json.loads(response.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.crawler.stats.inc_value(f"{self.name}/bad_json")
            self.logger.warning("Not a %s JSON answer: %s", self.api_label, response.url)
            return None
        return data

    def failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        self.crawler.stats.inc_value(f"{self.name}/failed")
        self.logger.warning(
            "%s request failed: %s (%s)",
            self.api_label,
            getattr(request, "url", "?"),
            failure.getErrorMessage(),
        )
