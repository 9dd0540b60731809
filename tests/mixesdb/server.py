"""A loopback stand-in for MixesDB's MediaWiki ``api.php``.

No saved ``api.php`` answer of MixesDB was found in a public repository, so this server
builds them as MediaWiki builds them (``formatversion=2``) around the saved MixesDB pages
of fixtures/mixesdb/: ``action=parse`` answers a page's ``div.mw-parser-output``, and
``list=categorymembers`` lists the pages of one category, ``page_size`` titles at a time
with a ``continue`` token. The first parse answer is MediaWiki's ``maxlag`` error (HTTP 200,
``Retry-After``, ``X-Database-Lag``), and the first category answer a 503 with
``Retry-After``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.devserver import LoggedRequest, LoopbackSite, Reply
from crawler.sites.base import parse_html
from tests.conftest import FIXTURES

MIXESDB = FIXTURES / "mixesdb"
PAGES = ("essential_mix_cued", "jeff_mills_liquid_room")
CATEGORY = "Category:Test Mixes"
ROBOTS = "User-agent: *\nDisallow: /db/index.php\n"
"""Hand-written: the API path is left open, as MediaWiki wikis leave it."""


def _page(name: str) -> tuple[str, str]:
    selector = parse_html((MIXESDB / f"{name}.html").read_text(encoding="utf-8"))
    title = selector.xpath("string(//h1[@id='firstHeading'])").get().strip()
    return title, selector.xpath("//div[contains(@class,'mw-parser-output')]").get()


class MixesDBSite(LoopbackSite):
    def __init__(self, host: str, page_size: int = 1) -> None:
        self.pages = dict(_page(name) for name in PAGES)
        self.page_size = page_size
        self.lagged = True
        self.busy = True
        super().__init__(
            host,
            routes={
                "/robots.txt": Reply(200, ROBOTS, content_type="text/plain"),
                "/db/api.php": self._api,
            },
        )

    def _api(self, request: LoggedRequest) -> Reply:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        if query.get("action") == "parse":
            if self.lagged:
                self.lagged = False
                error = {"code": "maxlag", "info": "Waiting for 10.64.0.1: 7 seconds lagged.",
                         "host": "10.64.0.1", "lag": 7, "type": "db"}  # fmt: skip
                headers = {"Retry-After": "1", "X-Database-Lag": "7"}
                return Reply(200, json.dumps({"error": error}), headers, "application/json")
            title = query.get("page", "").replace("_", " ")
            if title not in self.pages:
                return _json({"error": {"code": "missingtitle", "info": "No such page."}})
            return _json({"parse": {"title": title, "pageid": 1 + list(self.pages).index(title),
                                    "text": self.pages[title]}})  # fmt: skip
        if query.get("list") == "categorymembers":
            if self.busy:
                self.busy = False
                return Reply(503, "lagged", {"Retry-After": "1"}, "text/plain")
            titles = list(self.pages) if query.get("cmtitle") == CATEGORY else []
            start = int(query.get("cmcontinue", "0|0").split("|")[1])
            page = titles[start : start + self.page_size]
            answer: dict[str, Any] = {"batchcomplete": True, "query": {"categorymembers": [
                {"pageid": 1 + titles.index(t), "ns": 0, "title": t} for t in page]}}  # fmt: skip
            if start + self.page_size < len(titles):
                answer["continue"] = {"cmcontinue": f"page|{start + self.page_size}",
                                      "continue": "-||"}  # fmt: skip
            return _json(answer)
        return _json({"error": {"code": "badvalue", "info": "Unrecognized value."}})


def _json(data: Any) -> Reply:
    return Reply(200, json.dumps(data), content_type="application/json")
