"""A loopback site for the archive's tests, and what its WARC files hold.

Hand-written edge cases, each for one thing the archive must keep: a reason phrase of the
server's own ("Fine Thanks"), a page sent gzipped (its ``Content-Encoding`` kept), a 404
with a body and a phrase of its own, AI-use preferences in robots.txt (``Content-Usage``
with a path, ``Content-Signal``) and in a header. Set pages are the cluster farm's
schema.org pages.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from crawler.devserver import LoopbackSite, Reply
from tests.cluster.farm import set_page

WARCIO = Path(sys.executable).with_name("warcio")

ROBOTS = (
    "User-agent: *\nAllow: /\nDisallow: /private\n"
    "Content-Usage: /set/ train-ai=n\nContent-Usage: /set/2 train-ai=y\n"
    "Content-Signal: search=yes, ai-input=yes\n"
)


def archive_site(address: str) -> LoopbackSite:
    links = "".join(f'<a href="/set/{n}">{n}</a> ' for n in (1, 2, 3))
    routes: dict[str, Reply] = {
        "/robots.txt": Reply(200, ROBOTS, content_type="text/plain"),
        "/": Reply(
            200, f'<html><body>{links}<a href="/gone">g</a></body></html>', reason="Fine Thanks"
        ),
        "/set/1": Reply(
            200, gzip.compress(set_page(26, 1).encode()), headers={"Content-Encoding": "gzip"}
        ),
        "/set/2": Reply(200, set_page(26, 2)),
        "/set/3": Reply(200, set_page(26, 3), headers={"Content-Signal": "ai-train=no"}),
        "/gone": Reply(404, "this set was taken down", reason="Not Here Anymore"),
    }
    return LoopbackSite(address, routes=routes)


@dataclass
class Record:
    type: str
    url: str
    id: str
    headers: dict[str, str]
    http: Any
    body: bytes
    file: Path


def records(folder: Path) -> Iterator[Record]:
    """Every record of every WARC in ``folder`` (bodies as stored, not decoded)."""
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for rec in ArchiveIterator(stream):
                yield Record(
                    rec.rec_type,
                    rec.rec_headers.get_header("WARC-Target-URI") or "",
                    rec.rec_headers.get_header("WARC-Record-ID"),
                    dict(rec.rec_headers.headers),
                    rec.http_headers,
                    rec.raw_stream.read(),
                    path,
                )


def warcio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WARCIO), *args], capture_output=True, text=True, timeout=60)
