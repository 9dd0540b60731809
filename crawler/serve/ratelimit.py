"""Rate limits for a public archive: ``SERVE_RATE_LIMIT`` (``60/minute``) per API key and
per client address, answered as the crawler itself wants to be answered: 429 with
``Retry-After``.

A token bucket per client: it holds at most the limit, and refills at the limit's pace,
so a client may burst up to the limit and then goes at the pace. A request with a live
key counts against the key (wherever it comes from), any other against its address (the
proxy's ``X-Forwarded-For`` when uvicorn trusts the proxy). The buckets live in the
worker process: with ``--workers N`` a client spread over the N workers could get up to N
times the limit, so a public server with several workers should also limit at its proxy
(see the README).
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from crawler.serve.keys import check_key

__all__ = ["RateLimit", "RateLimitMiddleware", "parse_rate"]

_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$")
EXEMPT = ("/healthz",)
KEY_CACHE_SECONDS = 5.0
"""How long a key's name is trusted for counting (writes check the key every time)."""


@dataclass(frozen=True)
class RateLimit:
    requests: int
    period: float

    @property
    def pace(self) -> float:
        """Requests a second that refill a bucket."""
        return self.requests / self.period


def parse_rate(text: str) -> RateLimit:
    """``"60/minute"`` (also second, hour, day); ValueError otherwise."""
    found = _RATE.match(text.lower())
    if not found or int(found.group(1)) < 1:
        raise ValueError(f"a rate limit is N/second, N/minute, N/hour or N/day, not {text!r}")
    return RateLimit(int(found.group(1)), _PERIODS[found.group(2)])


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: RateLimit, sessions: object) -> None:
        self.app = app
        self.limit = limit
        self.sessions = sessions
        self._buckets: dict[str, tuple[float, float]] = {}
        self._keys: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        wait = self.take(self._client(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry = str(max(1, math.ceil(wait)))
        body = b'{"detail":"too many requests: wait Retry-After seconds"}'
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"retry-after", retry.encode()),
            (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store"),
        ]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    def take(self, client: str, now: float | None = None) -> float:
        """Take one token from ``client``'s bucket: 0 when there was one, else the seconds
        until there is."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, at = self._buckets.get(client, (float(self.limit.requests), now))
            tokens = min(float(self.limit.requests), tokens + (now - at) * self.limit.pace)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget the full buckets of past clients
                full = float(self.limit.requests)
                self._buckets = {k: v for k, v in self._buckets.items() if v[0] < full}
            return (1.0 - tokens) / self.limit.pace

    def _client(self, scope: Scope) -> str:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = bytes(value).decode("latin-1").partition(" ")
                key = self._key_name(token.strip()) if scheme.lower() == "bearer" else None
                if key is not None:
                    return f"key:{key}"
        client = scope.get("client")
        return f"addr:{client[0] if client else '?'}"

    def _key_name(self, token: str) -> str | None:
        now = time.monotonic()
        cached = self._keys.get(token)
        if cached is not None and now - cached[0] < KEY_CACHE_SECONDS:
            return cached[1]
        with self.sessions() as db:  # type: ignore[operator]
            name = check_key(db, token)
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[token] = (now, name)
        return name
