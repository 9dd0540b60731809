"""A spider that asks for rendering through meta on every URL it is given (tests that only
the policy decides): ``scrapy runspider tests/render/meta_spider.py -a urls=...``.

With ``-a in_hand=1`` each request also claims its page is in hand (as the ``sets``
spider's render requests do), and ``-a bare_urls=...`` are asked for with only that claim:
tests that such a claim never sends a request past the host's pace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.politeness.handler import IN_HAND_META
from crawler.render.decision import PlainPage

PAGE = b'<html><body><script>fetch("/api/set-0.json")</script></body></html>'


class MetaSpider(scrapy.Spider):
    name = "render_meta"

    def __init__(
        self, urls: str = "", in_hand: str = "", bare_urls: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.urls = [u for u in urls.split(",") if u]
        self.in_hand = bool(in_hand)
        self.bare_urls = [u for u in bare_urls.split(",") if u]

    async def start(self) -> AsyncIterator[Any]:
        for url in self.urls:
            meta: dict[str, Any] = {"render_js": True, "playwright": True}
            if self.in_hand:
                meta[IN_HAND_META] = _page(url)
            yield scrapy.Request(url, meta=meta)
        for url in self.bare_urls:
            yield scrapy.Request(url, meta={IN_HAND_META: _page(url)})

    def parse(self, response: Response) -> Any:
        yield {"url": response.url, "flags": response.flags}


def _page(url: str) -> PlainPage:
    return PlainPage(url, 200, (("Content-Type", "text/html; charset=utf-8"),), PAGE)
