"""A farm of loopback hosts with Crawl-delays, and what their logs say about a crawl.

Each host (127.0.<n>.<m>) serves a robots.txt with its ``Crawl-delay``, an index page
linking to its pages, and pages that each hold one schema.org tracklist, so that every
page fetched gives one stored set. The servers' own request logs are the ground truth:
which pages were fetched how often, and the shortest gap between two requests to a host.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crawler.devserver import LoggedRequest, LoopbackSite, Reply

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["HOLD_HEADER", "Farm", "FarmHost", "set_page", "start_worker", "wait_all"]


def set_page(host: int, n: int) -> str:
    """Page ``n`` of host ``host``: one schema.org tracklist."""
    playlist = {
        "@context": "https://schema.org",
        "@type": "MusicPlaylist",
        "name": f"Farm set {host}-{n}",
        "creator": {"@type": "Person", "name": f"DJ {host}"},
        "track": [{"@type": "MusicRecording", "name": f"Track {n}", "byArtist": f"Artist {host}"}],
    }
    return (
        "<!doctype html><html><head><title>set</title>"
        f'<script type="application/ld+json">{json.dumps(playlist)}</script>'
        f'</head><body><a href="/">home</a></body></html>'
    )


HOLD_HEADER = "X-Farm-Hold"
"""A worker started with this request header (``DEFAULT_REQUEST_HEADERS``) has its set page
requests held by the farm until :meth:`Farm.release`: a request certainly out when it dies."""


@dataclass
class _Gate:
    held: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


def _slow(reply: Reply, latency: float, gate: _Gate) -> Reply | Callable[[LoggedRequest], Reply]:
    def answer(request: LoggedRequest) -> Reply:
        if HOLD_HEADER.lower() in {name.lower() for name in request.headers}:
            gate.held.set()
            gate.released.wait(timeout=60)
        if latency > 0:
            time.sleep(latency)
        return reply

    return answer


@dataclass
class FarmHost:
    site: LoopbackSite
    delay: float
    pages: int

    @property
    def paths(self) -> list[str]:
        return ["/", *(f"/set/{n}" for n in range(1, self.pages + 1))]

    def gaps(self) -> list[float]:
        """Gaps between consecutive requests (robots.txt included), as the server saw them."""
        times = sorted(r.time for r in self.site.requests())
        return [b - a for a, b in itertools.pairwise(times)]


@dataclass
class Farm:
    """``delays[i]`` and ``pages[i]`` for host i; hosts <network>.<base>.<i+2>."""

    delays: list[float]
    pages: list[int]
    base: int = 70
    network: str = "127.0"
    """The first two parts of the hosts' addresses."""
    page_latency: float = 0.0
    """Seconds each set page takes to answer (so that requests are out when a worker dies)."""
    hosts: list[FarmHost] = field(default_factory=list)
    _gate: _Gate = field(default_factory=_Gate)

    def __enter__(self) -> Farm:
        for i, (delay, pages) in enumerate(zip(self.delays, self.pages, strict=True)):
            address = f"{self.network}.{self.base + i // 250}.{2 + i % 250}"
            routes: dict[str, Reply | Callable[[LoggedRequest], Reply]] = {
                "/robots.txt": Reply(
                    200,
                    f"User-agent: *\nCrawl-delay: {delay}\nAllow: /\n",
                    content_type="text/plain",
                ),
                "/": Reply(
                    200,
                    "<html><body>"
                    + "".join(f'<a href="/set/{n}">set {n}</a> ' for n in range(1, pages + 1))
                    + "</body></html>",
                ),
            }
            for n in range(1, pages + 1):
                routes[f"/set/{n}"] = _slow(
                    Reply(200, set_page(i, n)), self.page_latency, self._gate
                )
            self.hosts.append(FarmHost(LoopbackSite(address, routes=routes).start(), delay, pages))
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        for host in self.hosts:
            host.site.stop()

    def wait_held(self, timeout: float) -> bool:
        """Whether a set page request with :data:`HOLD_HEADER` arrived (and is being held)."""
        return self._gate.held.wait(timeout)

    def release(self) -> None:
        """Answer the held requests (and any later ones at once)."""
        self._gate.released.set()

    @property
    def seeds(self) -> list[str]:
        return [h.site.url("/") for h in self.hosts]

    def page_counts(self) -> Counter[str]:
        """How often each page was fetched, over all hosts (policy files left out:
        robots.txt, /.well-known/)."""
        counts: Counter[str] = Counter()
        for host in self.hosts:
            for request in host.site.requests():
                if request.path != "/robots.txt" and not request.path.startswith("/.well-known/"):
                    counts[host.site.url(request.path)] += 1
        return counts

    def policy_counts(self) -> Counter[str]:
        """How often each policy file (robots.txt, /.well-known/) was fetched."""
        return Counter(
            host.site.url(request.path)
            for host in self.hosts
            for request in host.site.requests()
            if request.path == "/robots.txt" or request.path.startswith("/.well-known/")
        )

    def all_pages(self) -> set[str]:
        return {h.site.url(p) for h in self.hosts for p in h.paths}

    def early(self) -> list[tuple[str, float, float]]:
        """(host, gap, allowed) for every gap below the host's Crawl-delay."""
        return [
            (h.site.host, gap, h.delay) for h in self.hosts for gap in h.gaps() if gap < h.delay
        ]

    def span(self) -> float:
        """From the first request any host saw to the last."""
        times = [r.time for h in self.hosts for r in h.site.requests()]
        return max(times) - min(times) if times else 0.0

    def ideal(self) -> float:
        """The shortest possible crawl: the slowest host's requests at exactly its delay."""
        return max((len(h.site.requests()) - 1) * h.delay for h in self.hosts)


def start_worker(
    crawl: str, redis_url: str, seeds: list[str], *settings: str, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """One worker, started as a user starts one: ``scrapy crawl sets ... -s REDIS_URL=...``."""
    args = [sys.executable, "-m", "scrapy", "crawl", "sets", "-a", f"crawl={crawl}"]
    if seeds:
        args += ["-a", "start_urls=" + ",".join(seeds)]
    args += ["-s", f"REDIS_URL={redis_url}", "-s", "ALLOW_PRIVATE_HOSTS=True"]
    for setting in settings:
        args += ["-s", setting]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_all(workers: list[subprocess.Popen[bytes]], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    codes = []
    for worker in workers:
        try:
            codes.append(worker.wait(timeout=max(0.1, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            codes.append(-9)
    return codes
