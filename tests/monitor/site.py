"""A loopback site of MixesDB set pages (the saved fixture page) whose layout can change.

Set pages ``/w/Set_N`` are ``fixtures/mixesdb/jeff_mills_liquid_room.html`` with their own
title; after ``site.changed = True`` they are the changed layout of
``fixtures/layout_changed/`` (no tracklist the page class can read). Pages listed in
``failing`` answer 500. robots.txt allows everything, or nothing with ``disallow=True``.
"""

from __future__ import annotations

import socket

from crawler.devserver import LoggedRequest, LoopbackSite, Reply
from tests.conftest import FIXTURES

__all__ = ["MixesSite", "refusing_port"]

ORIGINAL = (FIXTURES / "mixesdb/jeff_mills_liquid_room.html").read_text(encoding="utf-8")
CHANGED = (FIXTURES / "layout_changed/mixesdb_jeff_mills_liquid_room.html").read_text(
    encoding="utf-8"
)
_TITLE = "2000-09-29 - Jeff Mills @ The Liquid Room, Tokyo"


class MixesSite(LoopbackSite):
    def __init__(self, host: str, pages: int = 12, disallow: bool = False) -> None:
        self.pages = pages
        self.changed = False
        self.failing: set[int] = set()
        links = "".join(f'<li><a href="/w/Set_{i}">Set {i}</a></li>' for i in range(pages))
        routes: dict[str, Reply | object] = {
            "/robots.txt": Reply(
                200, "User-agent: *\nDisallow: /\n" if disallow else "User-agent: *\nAllow: /\n",
                content_type="text/plain",
            ),
            "/": Reply(200, f"<html><body><h1>Sets</h1><ul>{links}</ul></body></html>"),
        }  # fmt: skip
        for i in range(pages):
            routes[f"/w/Set_{i}"] = self._set_page(i)
        super().__init__(host, routes=routes)  # type: ignore[arg-type]

    def _set_page(self, i: int):  # type: ignore[no-untyped-def]
        def reply(_request: LoggedRequest) -> Reply:
            if i in self.failing:
                return Reply(500, "server error", content_type="text/plain")
            page = CHANGED if self.changed else ORIGINAL
            return Reply(200, page.replace(_TITLE, f"2000-09-{i + 1:02d} - Jeff Mills @ Set {i}"))

        return reply


def refusing_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that refuses connections (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
