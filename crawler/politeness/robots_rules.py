"""RFC 9309 decisions that need no network: what a robots.txt answer means.

The status decides, not the body (RFC 9309, 2.3.1): 2xx is parsed and obeyed; 3xx is
followed (at least five hops, then the file counts as unavailable); 4xx other than 429
means "unavailable": everything is allowed whatever the body says; 5xx, 429, time-outs and
network errors mean "unreachable": everything is disallowed until a later fetch succeeds.
Only the first 500 KiB are parsed (2.5). Groups are matched on the product token (2.2.1).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urljoin

from protego import Protego

from crawler.politeness.aiuse import robots_usage_lines

__all__ = [
    "MAX_BYTES",
    "ROBOTS_META",
    "RobotsFile",
    "allow_all",
    "classify_status",
    "disallow_all",
    "first_bytes_decoded",
    "judge_answer",
    "parse_robots",
    "reparse",
    "too_many_redirects",
]

MAX_BYTES = 500 * 1024
ROBOTS_META = "politeness_robots"
"""Request meta key marking a robots.txt fetch (value: the origin it is for)."""
Outcome = Literal["parse", "redirect", "allow_all", "unreachable"]


def classify_status(status: int) -> Outcome:
    """What an HTTP status on robots.txt means (RFC 9309, 2.3.1.1-2.3.1.4)."""
    if 200 <= status < 300:
        return "parse"
    if 300 <= status < 400:
        return "redirect"
    if status == 429:
        return "unreachable"
    if 400 <= status < 500:
        return "allow_all"
    return "unreachable"  # 5xx, and anything a server shouldn't answer


@dataclass(frozen=True)
class RobotsFile:
    """The rules in force for one origin."""

    kind: Literal["parsed", "allow_all", "disallow_all"]
    reason: str
    """Why these rules: e.g. ``HTTP 200``, ``HTTP 404: unavailable, all allowed``."""
    parser: Protego | None = None
    truncated: bool = False
    usage: tuple[tuple[str, str], ...] = ()
    """AI-use preferences: ``Content-Usage`` lines as (path, preferences) (aiuse.py)."""
    signals: tuple[str, ...] = ()
    """AI-use preferences: ``Content-Signal`` values (aiuse.py)."""
    source: bytes = field(default=b"", repr=False)
    """The bytes parsed: kept in the store so that the next run can parse them again."""

    def allowed(self, url: str, token: str) -> bool:
        if self.kind == "allow_all":
            return True
        if self.kind == "disallow_all" or self.parser is None:
            return False
        return self.parser.can_fetch(url, token)

    def crawl_delay(self, token: str) -> float | None:
        return self.parser.crawl_delay(token) if self.parser else None

    def rate_interval(self, token: str) -> float | None:
        """Seconds per request from ``Request-rate: n/s`` (its time window is ignored:
        the rate then applies all day, the stricter reading)."""
        rate = self.parser.request_rate(token) if self.parser else None
        return rate.seconds / rate.requests if rate else None

    def group(self, token: str) -> str | None:
        """The ``User-agent`` value of the group that applies to ``token``, or None."""
        if self.parser is None:
            return None
        # Protego exposes no public "which group" call; its matcher is the authority. Only
        # ``crawler policy`` and the summary show the group, so a Protego without it shows
        # none rather than failing a crawl (a public ``Protego.group(token)`` would do).
        matcher = getattr(self.parser, "_get_matching_rule_set", None)
        rule_set = matcher(token) if matcher is not None else None
        return None if rule_set is None else str(rule_set.user_agent)


def parse_robots(body: bytes, status: int = 200, max_bytes: int = MAX_BYTES) -> RobotsFile:
    """Rules from a 2xx body: the first ``max_bytes`` bytes, decoded as UTF-8 (RFC 9309)."""
    truncated = len(body) > max_bytes
    text = body[:max_bytes].decode("utf-8", errors="replace").lstrip("\ufeff")
    parser = Protego.parse(text)
    reason = f"HTTP {status}" + (f", first {max_bytes} bytes parsed" if truncated else "")
    usage, signals = robots_usage_lines(text)
    return RobotsFile(
        "parsed", reason, parser, truncated, tuple(usage), tuple(signals), body[:max_bytes]
    )


def reparse(kind: str, reason: str, source: bytes, truncated: bool) -> RobotsFile:
    """A verdict as it was judged before (kept in the store): "unavailable: all allowed",
    or a parsed file parsed again from the bytes parsed then."""
    if kind == "allow_all":
        return allow_all(reason)
    if kind != "parsed":
        raise ValueError(f"not a verdict to keep: {kind}")
    again = parse_robots(source, max_bytes=max(len(source), 1))
    return replace(again, reason=reason, truncated=truncated)


def judge_answer(
    status: int, body: bytes, location: str | None, url: str, max_bytes: int = MAX_BYTES
) -> RobotsFile | str:
    """What one robots.txt answer means: the rules in force, or the URL its redirect leads
    to (a ``str``: fetch that next). The crawl's policy and ``crawler policy`` both judge
    their answers here, so they can't disagree."""
    outcome = classify_status(status)
    if outcome == "parse":
        return parse_robots(body, status, max_bytes)
    if outcome == "allow_all":
        return allow_all(f"HTTP {status}: unavailable, all allowed")
    if outcome == "unreachable":
        return disallow_all(f"HTTP {status}: unreachable, nothing allowed until it answers")
    if not location:
        return allow_all(f"HTTP {status} without Location")
    return urljoin(url, location)


_WBITS = {b"gzip": (31,), b"x-gzip": (31,), b"deflate": (15, -15)}
"""zlib's window bits per Content-Encoding (a "deflate" body is zlib-wrapped or raw)."""


def first_bytes_decoded(body: bytes, encoding: bytes, limit: int) -> bytes | None:
    """The first ``limit`` bytes of a gzip or deflate ``body`` (the rest never expanded),
    or None for another encoding or a body that does not decode. RFC 9309 (2.5) parses
    the first 500 KiB at least: a compressed robots.txt that expands past the limit is
    read that far, like a plain one, not refused as a decompression bomb."""
    for wbits in _WBITS.get(encoding.strip().lower(), ()):
        try:
            return zlib.decompressobj(wbits).decompress(body, limit)
        except zlib.error:
            continue
    return None


def too_many_redirects(limit: int) -> RobotsFile:
    return allow_all(f"more than {limit} redirects: unavailable, all allowed")


def allow_all(reason: str) -> RobotsFile:
    return RobotsFile("allow_all", reason)


def disallow_all(reason: str) -> RobotsFile:
    return RobotsFile("disallow_all", reason)
