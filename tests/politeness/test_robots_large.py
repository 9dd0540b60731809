"""A robots.txt of 5 MB: one request, the first ``ROBOTSTXT_MAX_BYTES`` parsed, the rest
ignored (RFC 9309, 2.5), and the crawl goes on with what was read.

The server is real (loopback) and sends the whole file with its Content-Length, as a
static file server would; its log counts the robots.txt requests.
"""

from __future__ import annotations

import gzip
import time
import zlib

import pytest

from crawler.devserver import Reply
from crawler.politeness.robots_rules import first_bytes_decoded
from tests.politeness.conftest import crawl, page

FIVE_MB = 5 * 1024 * 1024
PAGES = {
    "/": page(["/a", "/b", "/private/c"]),
    "/a": page(),
    "/b": page(),
    "/private/c": page(),
}


def huge_robots(size: int = FIVE_MB) -> bytes:
    """``Disallow: /private`` at the top, ``Disallow: /a`` after the first 500 KiB, comment
    lines up to ``size`` (hand-made: no public site serves such a file for a test)."""
    head = b"User-agent: *\nDisallow: /private\n"
    line = b"# " + b"x" * 1021 + b"\n"
    padding = line * (600 * 1024 // len(line))
    tail = b"Disallow: /a\n"
    filler = line * ((size - len(head) - len(padding) - len(tail)) // len(line) + 1)
    return (head + padding + tail + filler)[:size]


@pytest.mark.parametrize("encoding", ["", "gzip"], ids=["plain", "gzip"])
def test_a_5_mb_robots_txt_is_read_once_up_to_the_limit(sites, encoding: str) -> None:  # type: ignore[no-untyped-def]
    """Plain, it was refused unread for its Content-Length and asked again and again;
    gzip-compressed (11 kB on the wire), refused whole as a decompression bomb."""
    body = huge_robots()
    assert len(body) == FIVE_MB and body.index(b"Disallow: /a") > 500 * 1024
    headers = {"Content-Encoding": "gzip"} if encoding else {}
    answer = Reply(200, gzip.compress(body) if encoding else body, headers, "text/plain")
    site = sites.add({"/robots.txt": answer, **PAGES})
    started = time.monotonic()
    result = crawl([site.url()], timeout=60)  # hung for good before: a bound, not a benchmark
    took = time.monotonic() - started
    paths = [r.path for r in site.requests()]
    assert paths.count("/robots.txt") == 1, paths
    # /private is refused (read), /a is not (its Disallow is past the limit): the crawl goes on
    assert sorted(p for p in paths if p != "/robots.txt") == ["/", "/a", "/b"], result.log[-3000:]
    assert result.stat("politeness/robots/unreachable") == 0
    assert result.stat("politeness/refused/robots") == 1
    assert result.stat("crawl/outcome") == "ok", result.log[-3000:]
    assert took < 45, took


def test_first_bytes_decoded() -> None:
    text = b"User-agent: *\nDisallow: /x\n" * 1000
    raw = zlib.compressobj(wbits=-15)
    deflated_raw = raw.compress(text) + raw.flush()
    for encoding, body in [
        (b"gzip", gzip.compress(text)),
        (b"x-gzip", gzip.compress(text)),
        (b"deflate", zlib.compress(text)),
        (b"deflate", deflated_raw),
    ]:
        assert first_bytes_decoded(body, encoding, 100) == text[:100], encoding
    assert first_bytes_decoded(b"not gzip", b"gzip", 100) is None
    assert first_bytes_decoded(b"...", b"br", 100) is None  # left to Scrapy's middleware
