"""A spider for one site: it follows the site's links and hands each page to ``ShowPage``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from radioshows.pages import ShowPage


class ShowsSpider(scrapy.Spider):
    name = "shows"

    def __init__(self, start_urls: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [url for url in start_urls.split(",") if url]

    def parse(self, response: Response) -> Iterator[Any]:
        if (dj_set := ShowPage(response.url, response.text).dj_set()) is not None:
            yield dj_set
        yield from response.follow_all(css="a.show", callback=self.parse)
