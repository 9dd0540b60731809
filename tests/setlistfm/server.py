"""A loopback stand-in for the setlist.fm API (``/rest/1.0``), serving saved setlists.

The setlists of fixtures/setlistfm/ are served by artist MBID, by venue id and by setlist
id; search pages are built around them as the API builds them (``type``, ``itemsPerPage``,
``page`` from ``p=``, ``total``). Requests without an ``x-api-key`` header get the 403 the
API answers; the first answer to each path in ``busy`` is a 429 with ``Retry-After``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.devserver import LoggedRequest, LoopbackSite, Reply
from tests.conftest import FIXTURES

SFM = FIXTURES / "setlistfm"
PHISH = "e01646f2-2a04-450d-8bf2-0d993082e058"
PEARL_JAM = "83b9cbe7-9857-49e2-ab8e-b57b01038103"
HOLLYWOOD_BOWL = "33d62cf9"
UNKNOWN_SONG = "0bd0a1e2"
KEY = "k3y-0f-the-test-not-a-real-one"
ROBOTS = "User-agent: *\nDisallow:\n"
"""Hand-written: an API host's robots.txt that lets everything in."""


def load(name: str) -> Any:
    return json.loads((SFM / f"{name}.json").read_text(encoding="utf-8"))


class SetlistFmSite(LoopbackSite):
    def __init__(self, host: str, per_page: int = 20, busy: tuple[str, ...] = ()) -> None:
        self.setlists: list[dict[str, Any]] = [
            *load("setlistfm_ts_phish_setlists")["setlist"],
            *load("objects_fundamentals_pearl_jam_setlists")["setlist"],
            load("handwritten_setlist_unknown_song"),
        ]
        self.per_page = per_page
        self.busy = set(busy)
        super().__init__(
            host, routes={"/robots.txt": Reply(200, ROBOTS, content_type="text/plain")}
        )

    def _reply_for(self, request: LoggedRequest) -> Reply:
        path = urlsplit(request.path).path
        if not path.startswith("/rest/"):  # robots.txt, and 404 for anything else
            return super()._reply_for(request)
        if request.headers.get("x-api-key") != KEY:
            return _json({"code": 403, "status": "Forbidden", "message": "Forbidden"}, 403)
        if path in self.busy:
            self.busy.discard(path)
            return Reply(429, b'{"code":429,"status":"Too Many Requests"}', {"Retry-After": "1"},
                         "application/json")  # fmt: skip
        parts = path.strip("/").split("/")  # rest, 1.0, <kind>, <id>[, setlists]
        if len(parts) == 4 and parts[2] == "setlist":
            found = [s for s in self.setlists if s["id"] == parts[3]]
            return _json(found[0]) if found else _json({"code": 404, "status": "Not Found"}, 404)
        if len(parts) == 5 and parts[4] == "setlists" and parts[2] in ("artist", "venue"):
            field = "artist" if parts[2] == "artist" else "venue"
            key = "mbid" if field == "artist" else "id"
            matching = [s for s in self.setlists if s[field][key] == parts[3]]
            return self._page(request, matching)
        return _json({"code": 404, "status": "Not Found"}, 404)

    def _page(self, request: LoggedRequest, setlists: list[dict[str, Any]]) -> Reply:
        page = int(parse_qs(urlsplit(request.path).query).get("p", ["1"])[0])
        items = setlists[(page - 1) * self.per_page : page * self.per_page]
        if not items:
            return _json({"code": 404, "status": "Not Found", "message": "not found"}, 404)
        return _json({"type": "setlists", "itemsPerPage": self.per_page, "page": page,
                      "total": len(setlists), "setlist": items})  # fmt: skip


def _json(data: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data).encode(), content_type="application/json")
