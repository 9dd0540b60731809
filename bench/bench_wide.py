"""Full pace at scale: hundreds of loopback hosts crawled by one process, beside stock Scrapy.

N hosts (127.0.10.1, 127.0.10.2, ...), each with ``Crawl-delay: 2``, a robots.txt without
sitemaps, no tdmrep.json (404), an index page and 6 tracklist pages (schema.org JSON-LD,
12 tracks each), are served by one asyncio process with one listening socket per address;
it logs every request. This project crawls them with ``scrapy crawl sets`` (extracting,
normalizing and storing into SQLite), then stock Scrapy crawls them with a spider that only
follows links (``ROBOTSTXT_OBEY``, ``DOWNLOAD_DELAY=2``, ``CONCURRENT_REQUESTS=1024``).

Figures, from the server's log and the crawl process's own resource usage:

* pages: index and set pages fetched / expected;
* early: gaps between two requests to one host shorter than 2 s;
* wasted: requests beyond one robots.txt, one tdmrep.json, the index and each page once;
* utilization: ideal time (8 gaps of 2 s per host: 16 s) / actual (first to last request);
* CPU ms per request: user + system time of the crawl process, start-up included, over the
  requests the server saw; peak RSS of the crawl process.

Bar (400 hosts): utilization >= 0.9, 0 early, 0 wasted, CPU per request at most stock
Scrapy's in the same run (3 ms when stock Scrapy was not run). Our crawl collects Python's
youngest generation every ``GC_THRESHOLD`` allocations (``crawler/memory.py``), stock Scrapy
every 700, Python's default; ``--stock-gc N`` runs stock Scrapy with N too, and
``-s GC_THRESHOLD=0`` ours with Python's, to see what that part of the difference is.

``--workers N``: our crawl runs as ``scrapy crawl sets --workers N`` (N cluster workers on
this machine and the private Redis the command starts). CPU is then the whole tree's (the
command waits for every worker and for Redis, so their times are in its own), peak RSS the
sum over the tree (sampled from /proc every 0.5 s), and each worker's share of the requests
comes from its ``crawl_runs`` row. Bar (1,000 hosts, 2 workers): utilization >= 0.9,
0 early, 0 wasted.

``--archive``: our crawl without the WARC archive, then with it (``WARC_DIR``), alternately
``--rounds`` times, instead of the stock comparison: CPU per request and wall time with the
archive against without it (bar: at most 10 % more CPU per request), and WARC bytes per page.

    .venv/bin/python -m bench.bench_wide [--hosts 100 400 1000] [--only ours|stock]
    .venv/bin/python -m bench.bench_wide --hosts 1000 --workers 1 2 [--only ours]
    .venv/bin/python -m bench.bench_wide --archive [--hosts 400] [--rounds 2]

``BENCH_WIDE_PYSPY=FILE`` runs our crawl under ``py-spy record`` (raw collapsed stacks, read
with ``python -m bench.pyspy_top FILE``); its CPU figure then includes py-spy's own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.proctree import TreeSampler

ROOT = Path(__file__).resolve().parents[1]
DELAY = 2.0
PAGES = 6
TRACKS = 12
PORT = 18641


def addresses(hosts: int) -> list[str]:
    return [f"127.0.{10 + i // 200}.{1 + i % 200}" for i in range(hosts)]


# -- the farm: one asyncio process, one socket per address ---------------------------------
def _page(host: str, n: int) -> bytes:
    tracks = ",".join(
        json.dumps(
            {
                "@type": "MusicRecording",
                "position": t + 1,
                "name": f"Track {(n * 7 + t) % 97} (Extended Mix)",
                "byArtist": {"@type": "Person", "name": f"Artist {(n + t) % 53}"},
            }
        )
        for t in range(TRACKS)
    )
    playlist = (
        '{"@context": "https://schema.org", "@type": "MusicPlaylist", '
        f'"name": "Wide {host} set {n}", "creator": {{"@type": "Person", "name": "DJ {host}"}}, '
        f'"datePublished": "2024-05-{1 + n:02d}", "track": [{tracks}]}}'
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Set {n}</title>'
        f'<script type="application/ld+json">{playlist}</script></head>'
        f"<body><h1>Set {n}</h1></body></html>"
    ).encode()


def _routes(host: str) -> dict[str, tuple[int, str, bytes]]:
    links = "".join(f'<a href="/set/{n}">set {n}</a> ' for n in range(PAGES))
    routes = {
        "/robots.txt": (200, "text/plain", f"User-agent: *\nCrawl-delay: {DELAY:g}\n".encode()),
        "/": (200, "text/html", f"<html><body>{links}</body></html>".encode()),
    }
    for n in range(PAGES):
        routes[f"/set/{n}"] = (200, "text/html; charset=utf-8", _page(host, n))
    return routes


async def _serve(hosts: list[str], log_path: str) -> None:
    log: list[tuple[float, str, str]] = []
    routes = {host: _routes(host) for host in hosts}

    def handler_for(host: str) -> Any:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    path = head.split(b" ", 2)[1].decode("latin-1").split("?")[0]
                    log.append((time.time(), host, path))
                    status, ctype, body = routes[host].get(path, (404, "text/plain", b"none"))
                    reason = "OK" if status == 200 else "Not Found"
                    writer.write(
                        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                pass
            finally:
                writer.close()

        return handle

    servers = [await asyncio.start_server(handler_for(h), h, PORT, backlog=512) for h in hosts]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    for server in servers:
        server.close()
    Path(log_path).write_text(json.dumps(log))


def _raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- stock Scrapy: a spider that only follows links ---------------------------------------
def _stock_spider() -> type:
    import scrapy
    from scrapy.http import Response

    class FollowSpider(scrapy.Spider):
        name = "bench_wide_stock"

        def __init__(self, urls_file: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.urls = Path(urls_file).read_text().split()

        async def start(self) -> AsyncIterator[Any]:
            for url in self.urls:
                yield scrapy.Request(url)

        def parse(self, response: Response) -> Iterator[Any]:
            yield from response.follow_all(css="a")

    return FollowSpider


def run_stock(urls_file: str) -> None:
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": True,
            "DOWNLOAD_DELAY": DELAY,
            "CONCURRENT_REQUESTS": 1024,
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    process.crawl(_stock_spider(), urls_file=urls_file)
    process.start()


# -- figures ------------------------------------------------------------------------------
@dataclass
class Figures:
    name: str
    hosts: int
    pages: int
    expected_pages: int
    requests: int
    early: int
    wasted: int
    ideal: float
    actual: float
    cpu: float
    rss_mib: float
    wall: float
    warc_bytes: int = 0
    workers: int = 1
    shares: tuple[int, ...] = ()
    """Requests each worker sent (its crawl_runs row), with several workers."""

    @property
    def utilization(self) -> float:
        return self.ideal / self.actual if self.actual else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu / self.requests if self.requests else 0.0


def measure(
    name: str, hosts: list[str], log: list[list[Any]], cpu: float, rss: float, wall: float
) -> Figures:
    by_host: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for at, host, path in log:
        by_host[host].append((at, path))
    early = wasted = pages = 0
    first, last = float("inf"), float("-inf")
    wanted = {"/robots.txt", "/.well-known/tdmrep.json", "/", *(f"/set/{n}" for n in range(PAGES))}
    for requests in by_host.values():
        requests.sort()
        times = [at for at, _path in requests]
        first, last = min(first, times[0]), max(last, times[-1])
        early += sum(1 for a, b in itertools.pairwise(times) if b - a < DELAY - 1e-3)
        counts = Counter(path for _at, path in requests)
        wasted += sum(n - 1 for n in counts.values() if n > 1)
        wasted += sum(n for path, n in counts.items() if path not in wanted)
        pages += sum(1 for path in counts if path == "/" or path.startswith("/set/"))
    # 8 gaps for 9 requests; stock Scrapy asks no tdmrep.json, so 7 gaps there
    ideal = max((len(set(path for _a, path in r)) - 1) * DELAY for r in by_host.values())
    return Figures(
        name,
        len(hosts),
        pages,
        len(hosts) * (PAGES + 1),
        len(log),
        early,
        wasted,
        ideal,
        last - first,
        cpu,
        rss,
        wall,
    )


def _worker_shares(database: str) -> tuple[int, ...]:
    """Requests sent by each worker, from the crawl_runs rows the workers wrote."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT stats FROM crawl_runs ORDER BY id").fetchall()
    return tuple(json.loads(stats).get("downloader/request_count", 0) for (stats,) in rows)


def crawl(
    kind: str, hosts: list[str], settings: dict[str, Any], workers: int = 1, stock_gc: int = 0
) -> Figures:
    with tempfile.TemporaryDirectory(prefix="bench_wide_") as tmp:
        log_path = f"{tmp}/log.json"
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_wide", "--serve", log_path, str(len(hosts))],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise RuntimeError("the farm did not start")
        urls_file = f"{tmp}/urls.txt"
        Path(urls_file).write_text("\n".join(f"http://{h}:{PORT}/" for h in hosts))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if kind.startswith("ours"):
            if kind == "ours+warc":
                settings = {**settings, "WARC_DIR": f"{tmp}/warc"}
            overrides = {
                "ALLOW_PRIVATE_HOSTS": "1",
                "DATABASE_URL": f"sqlite:///{tmp}/wide.db",
                "LOG_LEVEL": "WARNING",
                "PROGRESS_BAR": "0",
                "SPOOL_DIR": f"{tmp}/spool",
                **settings,
            }
            argv = [sys.executable, "-m", "scrapy", "crawl", "sets", "-a", f"urls_file={urls_file}"]
            if profile := os.environ.get("BENCH_WIDE_PROFILE"):  # a cProfile of our crawl
                argv[1:1] = ["-m", "cProfile", "-o", profile]
            if sampled := os.environ.get("BENCH_WIDE_PYSPY"):  # py-spy: bench/pyspy_top.py
                spy = str(Path(sys.executable).with_name("py-spy"))
                argv[:0] = [
                    spy,
                    "record",
                    "--subprocesses",
                    "--format",
                    "raw",
                    "-r",
                    "200",
                    "-o",
                    sampled,
                    "--",
                ]
            argv += [a for k, v in overrides.items() for a in ("-s", f"{k}={v}")]
            if workers > 1:
                argv += ["--workers", str(workers)]
            cwd = str(ROOT)
        else:
            argv = [sys.executable, "-m", "bench.bench_wide", "--stock", urls_file]
            if stock_gc:
                argv += ["--stock-gc", str(stock_gc)]
            env.pop("SCRAPY_SETTINGS_MODULE", None)
            cwd = tmp
        started = time.monotonic()
        child = subprocess.Popen(argv, cwd=cwd, env=env)
        sampler = TreeSampler(child.pid, interval=0.5)
        sampler.start()
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        sampler.done.set()
        sampler.join()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        if os.waitstatus_to_exitcode(status) not in (0,):
            print(f"{kind}: crawl exited {os.waitstatus_to_exitcode(status)}", file=sys.stderr)
        log = json.loads(Path(log_path).read_text())
        if keep := os.environ.get("BENCH_WIDE_LOG"):  # the server's log, for a closer look
            Path(keep).write_text(json.dumps(log))
        cpu = usage.ru_utime + usage.ru_stime
        names = {"ours": "this crawler", "ours+warc": "this crawler, --warc"}
        name = names.get(kind, "stock Scrapy, follow links only")
        if kind == "stock" and stock_gc:
            name = f"stock Scrapy, links, GC {stock_gc}"
        if workers > 1:
            name = f"this crawler, --workers {workers}"
        # the tree's peak RSS sum; ru_maxrss is one process's, the fallback for short runs
        rss = max(sampler.peak_rss, usage.ru_maxrss * 1024) / 2**20
        figures = measure(name, hosts, log, cpu, rss, wall)
        figures.warc_bytes = sum(p.stat().st_size for p in Path(tmp).glob("warc/*.warc.gz"))
        if kind.startswith("ours"):
            figures.workers = workers
            figures.shares = _worker_shares(f"{tmp}/wide.db")
        return figures


def report_archive(results: list[Figures]) -> bool:
    """With the archive against without it, per host count: summed over the rounds."""
    ok = True
    print()
    for count in sorted({f.hosts for f in results}):
        off = [f for f in results if f.hosts == count and f.name == "this crawler"]
        on = [f for f in results if f.hosts == count and f.name != "this crawler"]
        cpu_off = 1000 * sum(f.cpu for f in off) / sum(f.requests for f in off)
        cpu_on = 1000 * sum(f.cpu for f in on) / sum(f.requests for f in on)
        wall_off, wall_on = sum(f.wall for f in off), sum(f.wall for f in on)
        per_response = sum(f.warc_bytes for f in on) / sum(f.requests for f in on)
        per_page = sum(f.warc_bytes for f in on) / sum(f.pages for f in on)
        ratio = cpu_on / cpu_off
        ok = ok and ratio <= 1.10
        print(
            f"{count} hosts, {len(on)} rounds: CPU {cpu_off:.2f} -> {cpu_on:.2f} ms per request "
            f"(x{ratio:.3f}, bar <= x1.10), wall {wall_off:.1f} -> {wall_on:.1f} s "
            f"(x{wall_on / wall_off:.3f}), WARC {per_page:,.0f} bytes per page fetched "
            f"({per_response:,.0f} per response: request, response and metadata records, "
            "gzipped, robots.txt and tdmrep.json included)"
        )
    return ok


def report(results: list[Figures]) -> None:
    header = (
        f"{'run':32} {'hosts':>5} {'pages':>11} {'requests':>8} {'early':>5} {'wasted':>6} "
        f"{'util':>5} {'ideal s':>7} {'actual s':>8} {'CPU ms/req':>10} {'RSS MiB':>7} "
        f"{'wall s':>6}"
    )
    print(header)
    print("-" * len(header))
    for f in results:
        print(
            f"{f.name:32} {f.hosts:5d} {f.pages:5d}/{f.expected_pages:<5d} {f.requests:8d} "
            f"{f.early:5d} {f.wasted:6d} {f.utilization:5.2f} {f.ideal:7.1f} {f.actual:8.1f} "
            f"{f.cpu_ms_per_request:10.2f} {f.rss_mib:7.0f} {f.wall:6.1f}"
        )
        if f.workers > 1:
            total = sum(f.shares) or 1
            parts = ", ".join(f"{n} ({n / total:.0%})" for n in f.shares)
            print(f"{'':32} requests per worker: {parts}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[100, 400, 1000])
    parser.add_argument("--only", choices=["ours", "stock"], default=None)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1], help="our crawl with --workers N, each N"
    )
    parser.add_argument(
        "-s", dest="settings", action="append", default=[], help="NAME=VALUE for our crawl"
    )
    parser.add_argument("--archive", action="store_true", help="our crawl without/with --warc")
    parser.add_argument("--rounds", type=int, default=2, help="--archive: rounds of each")
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--stock", help=argparse.SUPPRESS)
    parser.add_argument(
        "--stock-gc",
        type=int,
        default=0,
        help="stock Scrapy with its youngest GC generation collected every N allocations, "
        "as GC_THRESHOLD does for ours (default: Python's 700)",
    )
    args = parser.parse_args(argv)
    _raise_fd_limit()
    if args.serve:
        asyncio.run(_serve(addresses(int(args.serve[1])), args.serve[0]))
        return 0
    if args.stock:
        if args.stock_gc:
            gc.set_threshold(args.stock_gc, *gc.get_threshold()[1:])
        run_stock(args.stock)
        return 0
    settings = dict(s.split("=", 1) for s in args.settings)
    if args.archive:
        archived = []
        for count in args.hosts:
            for _round in range(args.rounds):
                for kind in ("ours", "ours+warc"):
                    print(f"crawling {count} hosts: {kind} ...", file=sys.stderr, flush=True)
                    archived.append(crawl(kind, addresses(count), settings))
                    report(archived[-1:])
        print()
        report(archived)
        return 0 if report_archive(archived) else 1
    results = []
    for count in args.hosts:
        hosts = addresses(count)
        runs = [("ours", n) for n in args.workers] + [("stock", 1)]
        for kind, workers in runs:
            if args.only not in (None, kind):
                continue
            print(f"crawling {count} hosts: {kind} x{workers} ...", file=sys.stderr, flush=True)
            results.append(crawl(kind, hosts, settings, workers, args.stock_gc))
            report(results[-1:])
    print()
    report(results)
    ok = True
    for f in results:
        if f.workers == 2 and f.hosts == 1000:
            met = f.utilization >= 0.9 and f.early == 0 and f.wasted == 0
            met = met and f.pages == f.expected_pages
            print(f"\nbar at 1,000 hosts, 2 workers (util >= 0.9, 0 early, 0 wasted): "
                  f"{'MET' if met else 'NOT MET'}")  # fmt: skip
            ok = ok and met
    bar = next((f for f in results if f.name == "this crawler" and f.hosts == 400), None)
    stock = next((f for f in results if f.name.startswith("stock") and f.hosts == 400), None)
    if bar is not None:
        # CPU per request: at most stock Scrapy's in the same run, or 3 ms without it
        cpu_bar = stock.cpu_ms_per_request if stock is not None else 3.0
        met400 = (
            bar.utilization >= 0.9
            and bar.early == 0
            and bar.wasted == 0
            and bar.cpu_ms_per_request <= cpu_bar
            and bar.pages == bar.expected_pages
        )
        print(f"\nbar at 400 hosts (util >= 0.9, 0 early, 0 wasted, <= {cpu_bar:.2f} ms/request): "
              f"{'MET' if met400 else 'NOT MET'}")  # fmt: skip
        ok = ok and met400
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
