"""Rate limits for a public archive: ``SERVE_RATE_LIMIT`` (``60/minute``) per API key and
per client address, answered as the crawler itself wants to be answered: 429 with
``Retry-After``.

A token bucket per client: it holds at most the limit, and refills at the limit's pace,
so a client may burst up to the limit and then goes at the pace. A request with a live
key counts against the key (wherever it comes from), any other against its address (the
proxy's ``X-Forwarded-For`` when uvicorn trusts the proxy).

One worker keeps its buckets in memory (:class:`MemoryBuckets`). The workers of one
``crawler serve --workers N`` share theirs in a small SQLite file of the command's folder
(:class:`FileBuckets`), so a client spread over the N workers still gets the limit once,
not N times: one short ``IMMEDIATE`` transaction a request.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from crawler.serve.keys import check_key

__all__ = ["FileBuckets", "MemoryBuckets", "RateLimit", "RateLimitMiddleware", "parse_rate"]

log = logging.getLogger(__name__)

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


class Buckets(Protocol):
    def take(self, client: str, now: float | None = None) -> float:
        """Take one token from ``client``'s bucket: 0 when there was one, else the seconds
        until there is."""


class MemoryBuckets:
    """The buckets of one process."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
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


# In one IMMEDIATE transaction, which takes the write lock at once: the refill, the take
# and the answer of a request happen with no other worker in between. (In SET, every
# column names its value before the update.) No RETURNING: SQLite 3.35 is not everywhere.
_REFILLED = "min(:full, tokens + max(0.0, :now - at) * :pace)"
_TAKE = f"""
INSERT INTO buckets (client, tokens, at, taken) VALUES (:client, :full - 1.0, :now, 1)
ON CONFLICT (client) DO UPDATE SET
    taken = {_REFILLED} >= 1.0,
    tokens = {_REFILLED} - ({_REFILLED} >= 1.0),
    at = max(at, :now)
"""
_READ = "SELECT tokens, taken FROM buckets WHERE client = :client"
_FORGET = "DELETE FROM buckets WHERE tokens + (:now - at) * :pace >= :full"


class FileBuckets:
    """The buckets of every worker of one server, in a SQLite file they all open (WAL, no
    fsync: the file lives as long as the server). Wall-clock time, as the workers share
    no other clock; a clock set back refills nothing until it catches up."""

    FORGET_EVERY = 10_000
    """Takes between two sweeps of full buckets (those of past clients)."""

    def __init__(self, limit: RateLimit, path: Path) -> None:
        self.limit = limit
        self._db = sqlite3.connect(path, timeout=2.0, isolation_level=None,
                                   check_same_thread=False)  # fmt: skip
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS buckets (client TEXT PRIMARY KEY, tokens REAL NOT NULL,"
            " at REAL NOT NULL, taken INTEGER NOT NULL) WITHOUT ROWID"
        )
        self._lock = threading.Lock()
        self._takes = 0

    def take(self, client: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        values = {"client": client, "now": now, "full": float(self.limit.requests),
                  "pace": self.limit.pace}  # fmt: skip
        try:
            with self._lock, self._db:  # commits, or rolls back on an error
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(_TAKE, values)
                tokens, taken = self._db.execute(_READ, values).fetchone()
                self._takes += 1
                if self._takes % self.FORGET_EVERY == 0:
                    self._db.execute(_FORGET, values)
        except sqlite3.Error as exc:  # a file locked for 2 s: answer rather than fail
            log.warning("rate limit not counted for %s: %s", client, exc)
            return 0.0
        return 0.0 if taken else (1.0 - tokens) / self.limit.pace


class RateLimitMiddleware:
    def __init__(
        self, app: ASGIApp, limit: RateLimit, sessions: object, shared: Path | None = None
    ) -> None:
        """``shared``: the buckets' file of every worker of the server (else in memory)."""
        self.app = app
        self.buckets: Buckets = (
            MemoryBuckets(limit) if shared is None else FileBuckets(limit, shared)
        )
        self.sessions = sessions
        self._keys: dict[str, tuple[float, str | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(self._client(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry = str(max(1, math.ceil(wait)))
        if scope["path"].startswith(("/api/", "/feeds/")):
            kind, body = (
                b"application/json",
                b'{"detail":"too many requests: wait Retry-After seconds"}',
            )
        else:  # a page, as the pages' other errors are
            kind = b"text/html; charset=utf-8"
            body = (
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                "<title>429 Too many requests</title></head><body><h1>Too many requests</h1>"
                f"<p>Please wait {retry} seconds.</p></body></html>"
            ).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", kind), (b"retry-after", retry.encode()),
            (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store"),
        ]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

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
