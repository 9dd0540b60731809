"""HTTP caching instead of a cache server: validators from the store's last change.

Every answer of the API and the pages is a function of the store and the URL, so one
*store version* (when the store last changed) makes every validator: the ``ETag`` is a
hash of the version and the URL, ``Last-Modified`` is the change's time. A request whose
``If-None-Match`` holds the current tag is answered 304 before any query runs when its
answer is kept and a 2xx (else it is computed, to know: preconditions hold for 2xx), and the
last answers are kept in memory under their tag, so a page asked again after no change is
not computed again: in the worker's memory, and in files that every worker of the server
reads (:class:`SharedAnswers`), so that what one worker computed the others serve. A
reverse proxy in front (see the README) can keep them too:
``Cache-Control`` lets it serve an answer for :data:`MAX_AGE` seconds and revalidate it
after that.

The version of a SQLite store is the modification time and size of its file and of its
WAL file when that holds anything (a ``stat``, no query); of a PostgreSQL store, the
server's current snapshot, with the last set update or crawl run as its time. Either is
looked at most every :data:`VERSION_TTL` seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crawler import __version__

__all__ = ["MAX_AGE", "CachingMiddleware", "SharedAnswers", "StoreVersion"]

MAX_AGE = 10
"""Seconds a client or proxy may use an answer before it asks again (with its ETag)."""
VERSION_TTL = 0.5
"""Seconds the store's version is trusted before it is read again."""
KEPT_ANSWERS = 4096
KEPT_BYTES = 256 * 1024
"""Answers kept in memory per worker, and the largest one kept."""
NOT_CACHED = ("/healthz", "/api/v1/crawls")
"""Paths whose answers do not follow the store alone: jobs, health."""

_PG_VERSION = text(
    "SELECT (SELECT max(updated_at) FROM sets),"
    " (SELECT max(coalesce(finished_at, started_at)) FROM crawl_runs),"
    " pg_current_snapshot()::text"
)
"""The last set update and crawl run (for ``Last-Modified``), and the server's current
snapshot (``xmin:xmax:in-progress``): it moves whenever a writing transaction starts or
ends, at once, and reading does not move it. Writes to the server's other databases move
it too, which only costs answers computed again."""


class StoreVersion:
    """When the store last changed, as ``(token, time)``; read at most every
    :data:`VERSION_TTL` seconds."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        parsed = make_url(sessions.kw["bind"].url)
        self._files: list[Path] = []
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            main = Path(parsed.database)
            self._files = [main, main.with_name(main.name + "-wal")]
        self._sessions = sessions
        self._lock = threading.Lock()
        self._read_at = -1.0
        self._value = ("", datetime.now(UTC))

    def current(self) -> tuple[str, datetime]:
        now = time.monotonic()
        if now - self._read_at < VERSION_TTL:
            return self._value
        with self._lock:
            if now - self._read_at >= VERSION_TTL:
                self._value = self._read()
                self._read_at = now
        return self._value

    def _read(self) -> tuple[str, datetime]:
        if self._files:
            stamps = []
            for path in self._files:
                try:
                    found = os.stat(path)
                except OSError:
                    continue
                if found.st_size:  # an empty WAL file comes and goes with readers
                    stamps.append((found.st_mtime_ns, found.st_size))
            latest = max((t for t, _ in stamps), default=0)
            return repr(stamps), datetime.fromtimestamp(latest / 1e9, UTC)
        with self._sessions() as db:
            updated, run_time, written = db.execute(_PG_VERSION).one()
        times: list[datetime] = [t for t in (updated, run_time) if t is not None]
        last = max(times, default=datetime(2000, 1, 1))
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        return f"{written}|{updated}|{run_time}", last


Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class SharedAnswers:
    """Answers kept as files in ``folder``, one per ETag, under a folder per store version
    (older versions' folders are removed when a worker sees the store change). Written to
    a temporary name and renamed, so a reader never sees half an answer; written in a
    thread, off the event loop, as creating a file costs up to half a millisecond on some
    disks (measured on ext4, against 40 µs on tmpfs)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._version = ""

    def _path(self, version: str, etag: str) -> Path:
        return self.folder / version / etag.strip('"')

    def get(self, version: str, etag: str) -> Answer | None:
        try:
            data = self._path(version, etag).read_bytes()
        except OSError:
            return None
        size = int.from_bytes(data[3:7], "big")
        headers = [(k.encode("latin-1"), v.encode("latin-1"))
                   for k, v in json.loads(data[7 : 7 + size])]  # fmt: skip
        return int(data[:3]), headers, data[7 + size :]

    def put(self, version: str, etag: str, answer: Answer) -> None:
        if version != self._version:
            self._version = version
            for old in self.folder.glob("*"):
                if old.name != version:
                    shutil.rmtree(old, ignore_errors=True)
        status, headers, body = answer
        names = json.dumps([(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers])
        path = self._path(version, etag)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
            temporary.write_bytes(
                b"%03d" % status + len(names).to_bytes(4, "big") + names.encode() + body
            )
            os.replace(temporary, path)
        except OSError:
            pass  # a full or removed folder: the answer is simply not shared


class CachingMiddleware:
    """``ETag``, ``Last-Modified`` and ``Cache-Control`` on every GET; 304 on a match; the
    last answers kept in memory under their tag (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        version: Callable[[], tuple[str, datetime]],
        shared: SharedAnswers | None = None,
    ) -> None:
        self.app = app
        self.version = version
        self.shared = shared
        self._kept: OrderedDict[str, Answer] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith(NOT_CACHED):
            await self.app(scope, receive, _no_store(send))
            return
        token, changed = self.version()
        # The scheme and host too: feeds and pages hold absolute URLs made from them, and an
        # answer kept for one Host header must not be served for another (nginx's default
        # proxy_cache_key has them for the same reason)
        target = (
            f"{scope.get('scheme', 'http')}://{_header(scope, b'host') or ''}"
            f"{scope.get('root_path', '')}{path}?{scope.get('query_string', b'').decode()}"
        )
        digest = hashlib.blake2b(f"{__version__}|{token}|{target}".encode(), digest_size=12)
        etag = f'"{digest.hexdigest()}"'
        validators = [
            (b"etag", etag.encode()),
            (b"last-modified", format_datetime(changed.replace(microsecond=0), True).encode()),
            (b"cache-control", f"public, max-age={MAX_AGE}".encode()),
        ]
        matched = _not_modified(
            _header(scope, b"if-none-match"), _header(scope, b"if-modified-since"), etag, changed
        )
        kept = self._kept.get(etag)
        if kept is not None:
            self._kept.move_to_end(etag)
        elif self.shared is not None and scope["method"] == "GET":
            kept = self.shared.get(_folder(token), etag)
        if matched and (kept is None or 200 <= kept[0] < 300):
            # RFC 9110 13.2.1: preconditions hold only for what would be a 2xx; an answer
            # not kept is computed to know (a 404 asked with "If-None-Match: *" was a 304)
            if kept is not None:
                await _send_304(send, validators)
            else:
                await self.app(scope, receive, _as_304(send, validators))
            return
        if kept is not None:
            status, headers, body = kept
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        keep = scope["method"] == "GET"
        await self.app(scope, receive, self._keeping(send, token, etag, validators, keep))

    def _keeping(
        self, send: Send, token: str, etag: str, validators: list[tuple[bytes, bytes]],
        keep: bool,
    ) -> Send:  # fmt: skip
        answer: dict[str, Any] = {}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] not in _VALIDATORS]
                message = {**message, "headers": headers + validators}
                answer.update(status=message["status"], headers=message["headers"], body=b"")
            elif message["type"] == "http.response.body" and answer:
                answer["body"] += message.get("body", b"")
                if keep and not message.get("more_body") and _keepable(answer):
                    kept = (answer["status"], answer["headers"], answer["body"])
                    self._kept[etag] = kept
                    if self.shared is not None:  # creating a file can take a while
                        asyncio.get_running_loop().run_in_executor(
                            None, self.shared.put, _folder(token), etag, kept
                        )
                    while len(self._kept) > KEPT_ANSWERS:
                        self._kept.popitem(last=False)
            await send(message)

        return wrapped


_VALIDATORS = {b"etag", b"last-modified", b"cache-control"}


def _folder(token: str) -> str:
    return hashlib.blake2b(token.encode(), digest_size=8).hexdigest()


async def _send_304(send: Send, validators: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": 304, "headers": validators})
    await send({"type": "http.response.body", "body": b""})


def _as_304(send: Send, validators: list[tuple[bytes, bytes]]) -> Send:
    """The app's answer, but a 304 in place of a 2xx (its body dropped)."""
    state = {"not_modified": False}

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            if 200 <= message["status"] < 300:
                state["not_modified"] = True
                await _send_304(send, validators)
                return
            headers = [h for h in message.get("headers", []) if h[0] not in _VALIDATORS]
            message = {**message, "headers": headers}
        elif message["type"] == "http.response.body" and state["not_modified"]:
            return  # the 304 has been sent whole
        await send(message)

    return wrapped


def _keepable(answer: dict[str, Any]) -> bool:
    return answer["status"] in (200, 404) and len(answer["body"]) <= KEPT_BYTES


def _no_store(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", []) if h[0] != b"cache-control"]
            message = {**message, "headers": [*headers, (b"cache-control", b"no-store")]}
        await send(message)

    return wrapped


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, changed: datetime
) -> bool:
    """RFC 9110 section 13.1: ``If-None-Match`` wins when present (weak comparison)."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return changed.replace(microsecond=0) <= since
    return False
