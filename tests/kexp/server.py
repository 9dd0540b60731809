"""A loopback stand-in for KEXP's API (``/v2``), serving the saved pages of fixtures/kexp/.

Plays and shows are paged as the API pages them (``limit`` capped at ``page_size``,
``offset``, a ``next`` link written on the API's public root, newest first); plays are
filtered by ``show_ids``, shows by ``start_time_after``/``start_time_before``. The first
answer to each path in ``busy`` is a 429 with ``Retry-After``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from crawler.devserver import LoggedRequest, LoopbackSite, Reply
from tests.conftest import FIXTURES

KEXP = FIXTURES / "kexp"
SHOW = "46732"
ROBOTS = "User-agent: *\nDisallow: /admin/\n"
"""Hand-written: KEXP's own robots.txt is not among the saved files."""


def load(name: str) -> dict[str, Any]:
    return json.loads((KEXP / f"{name}.json").read_text(encoding="utf-8"))


class KexpSite(LoopbackSite):
    def __init__(self, host: str, page_size: int = 8, busy: tuple[str, ...] = ()) -> None:
        self.plays = load("kexppower_plays_v2")["results"]
        self.shows = load("kexppower_shows_v2")["results"]
        self.page_size = page_size
        self.busy = set(busy)
        super().__init__(
            host,
            routes={
                "/robots.txt": Reply(200, ROBOTS, content_type="text/plain"),
                "/v2/plays/": self._plays,
                "/v2/shows/": self._shows,
            },
        )

    def _reply_for(self, request: LoggedRequest) -> Reply:
        path = urlsplit(request.path).path
        if path in self.busy:
            self.busy.discard(path)
            return Reply(429, b'{"detail": "slow down"}', {"Retry-After": "1"}, "application/json")
        if path.startswith("/v2/shows/") and path.strip("/").split("/")[-1].isdigit():
            show_id = int(path.strip("/").split("/")[-1])
            show = next((s for s in self.shows if s["id"] == show_id), None)
            if show is None:
                return Reply(404, b'{"detail": "Not found."}', content_type="application/json")
            return _json(show)
        return super()._reply_for(request)

    def _page(self, request: LoggedRequest, items: list[dict[str, Any]], what: str) -> Reply:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        limit = min(int(query.get("limit", "20")), self.page_size)
        offset = int(query.get("offset", "0"))
        page = items[offset : offset + limit]
        following = None
        if offset + limit < len(items):
            following = f"https://api.kexp.org/v2/{what}/?" + urlencode(
                {**query, "limit": limit, "offset": offset + limit}
            )
        return _json({"next": following, "previous": None, "results": page})

    def _plays(self, request: LoggedRequest) -> Reply:
        query = parse_qs(urlsplit(request.path).query)
        shows = {int(s) for v in query.get("show_ids", []) for s in v.split(",")}
        plays = [p for p in self.plays if not shows or p["show"] in shows]
        return self._page(request, plays, "plays")

    def _shows(self, request: LoggedRequest) -> Reply:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        shows = self.shows
        if "start_time_after" in query:
            after = datetime.fromisoformat(query["start_time_after"]).date()
            shows = [s for s in shows if datetime.fromisoformat(s["start_time"]).date() >= after]
        if "start_time_before" in query:
            before = datetime.fromisoformat(query["start_time_before"]).date()
            shows = [s for s in shows if datetime.fromisoformat(s["start_time"]).date() <= before]
        return self._page(request, shows, "shows")


def _json(data: Any) -> Reply:
    return Reply(200, json.dumps(data).encode(), content_type="application/json")
