"""Hostile servers on loopback: a compressed bomb, a page of a million links, a server that
drips one byte a second, redirects into private address space. Used by the tests and by
bench/bench_hostile.py; every one is hand-made, as such servers are."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
import zlib
from functools import cache

from crawler.devserver import LoopbackSite, Reply

__all__ = ["DripServer", "gzip_bomb", "hostile_site", "links_page"]

ROBOTS = "User-agent: *\nCrawl-delay: 0.01\n"


@cache
def gzip_bomb(expanded: int, chunk: int = 16 * 1024 * 1024) -> bytes:
    """A gzip body of ``expanded`` zero bytes (about 1/1000 of that on the wire)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    zeros = bytes(chunk)
    parts = [packer.compress(zeros) for _ in range(expanded // chunk)]
    parts.append(packer.flush())
    return b"".join(parts)


def links_page(links: int) -> str:
    items = "".join(f'<a href="/p/{i}">{i}</a>\n' for i in range(links))
    return f"<!doctype html><html><body>{items}</body></html>"


def hostile_site(host: str, routes: dict[str, Reply]) -> LoopbackSite:
    return LoopbackSite(host, routes={"/robots.txt": Reply(200, ROBOTS, content_type="text/plain"),
                                      **routes})  # fmt: skip


class DripServer:
    """Answers every request with headers at once, then its body one byte a second."""

    def __init__(self, host: str = "127.0.0.1", length: int = 10_000) -> None:
        self.requests: list[tuple[float, str]] = []
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                head = conn.recv(65536).decode("latin-1")
                path = head.split(" ", 2)[1] if head.count(" ") >= 2 else "/"
                server.requests.append((time.monotonic(), path))
                if path == "/robots.txt":
                    body = ROBOTS.encode()
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                 b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                                 % (len(body), body))  # fmt: skip
                    return
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                conn.sendall(head % length + b"Connection: close\r\n\r\n")
                try:
                    for _ in range(length):
                        conn.sendall(b" ")
                        time.sleep(1.0)
                except OSError:
                    pass  # the client gave up

        self._server = socketserver.ThreadingTCPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"

    def __enter__(self) -> DripServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
