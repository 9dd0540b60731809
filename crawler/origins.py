"""A URL's origin, ``scheme://host[:port]``: the unit robots.txt, tdmrep.json, the page
book and the extraction watch are kept by.

One function instead of a format string in each of them, so that they agree on what an
origin is. The URL's own spelling is kept (no case folding, no default port dropped):
the page book and the watch match stored URLs by prefix, and those are stored as fetched.
Keys that name a host whatever its spelling (the robots verdicts) fold the case
themselves. Neither the standard library nor w3lib has this: ``urllib.parse`` splits a
URL but does not put an origin back together, and Scrapy's ``strip_url(origin_only=True)``
drops default ports, which would part the page book from URLs stored with them.
"""

from __future__ import annotations

from urllib.parse import ParseResult, SplitResult, urlsplit

__all__ = ["origin_prefix", "url_origin"]


def url_origin(url: str | SplitResult | ParseResult) -> str:
    """``https://example.org:8080/a/b?c`` → ``https://example.org:8080``; a split URL
    (``urlparse_cached``'s, or ``urlsplit``'s) is taken as it is, without splitting again."""
    parts = urlsplit(url) if isinstance(url, str) else url
    return f"{parts.scheme}://{parts.netloc}"


def origin_prefix(url: str) -> str:
    """``https://example.org/a`` → ``https://example.org/``: what every stored URL of the
    origin starts with (the page book and the watch read the store by it)."""
    return url_origin(url) + "/"
