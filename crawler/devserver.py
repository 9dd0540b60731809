"""A small HTTP server on loopback that logs every request it answers.

The demo site, the tests and the benchmarks all use it: the server's own log (arrival
time, path, User-Agent, headers) is the ground truth for what the crawler sent.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["LoggedRequest", "LoopbackSite", "Reply"]


@dataclass
class Reply:
    """What the server answers for one path."""

    status: int = 200
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    reason: str | None = None
    """The status line's reason phrase; None: the standard one."""


@dataclass(frozen=True)
class LoggedRequest:
    time: float
    """``time.monotonic()`` when the request line arrived (comparable across processes)."""
    method: str
    path: str
    headers: Mapping[str, str]

    @property
    def user_agent(self) -> str:
        return self.headers.get("user-agent", "")


Route = Reply | Callable[["LoggedRequest"], Reply]


class LoopbackSite:
    """Serves ``routes`` (path -> Reply or callable) and, as a fallback, files from ``root``.

    Bind to a distinct loopback address (127.0.0.2, 127.0.0.3, ...) to make a distinct host.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        routes: Mapping[str, Route] | None = None,
        root: str | Path | None = None,
    ) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.root = Path(root) if root else None
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes; with Nagle's algorithm the body
            # would wait ~40 ms for the client's delayed ACK, and every host would look slow.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                site._handle(self)

            def do_HEAD(self) -> None:
                site._handle(self, head=True)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def start(self) -> LoopbackSite:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests(self, path: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if path is None or r.path == path]

    def _reply_for(self, request: LoggedRequest) -> Reply:
        path = urlsplit(request.path).path
        route = self.routes.get(request.path, self.routes.get(path))
        if route is not None:
            return route(request) if callable(route) else route
        if self.root is not None:
            target = (self.root / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if target.is_file() and target.is_relative_to(self.root.resolve()):
                ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                if ctype.startswith("text/") or ctype.endswith(("json", "xml")):
                    ctype += "; charset=utf-8"
                return Reply(200, target.read_bytes(), content_type=ctype)
        return Reply(404, b"not found", content_type="text/plain")

    def _handle(self, handler: BaseHTTPRequestHandler, head: bool = False) -> None:
        request = LoggedRequest(
            time=time.monotonic(),
            method=handler.command,
            path=handler.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
        )
        with self._lock:
            self.log.append(request)
        try:
            reply = self._reply_for(request)
        except Exception as exc:  # a broken route answers 500, like a real server would
            reply = Reply(500, f"route failed: {exc!r}".encode())
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        handler.send_response(reply.status, reply.reason)
        headers = {k.lower(): v for k, v in reply.headers.items()}
        if "content-type" not in headers:
            handler.send_header("Content-Type", reply.content_type or "text/html; charset=utf-8")
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if not head and reply.status != 304:
            handler.wfile.write(body)
