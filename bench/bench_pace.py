"""Every host at exactly its allowed pace: the politeness bar, beside stock Scrapy.

A farm of loopback hosts (127.0.1.1 ...) with Crawl-delays of 0.25 / 0.5 / 1 / 2 s, each
serving as many pages as its delay allows in ``--seconds`` (robots.txt and the index page
count), is crawled by this project and then by stock Scrapy (``ROBOTSTXT_OBEY=True`` with
``DOWNLOAD_DELAY=0.25`` and ``=2``). The servers' own request logs give the figures:

* early requests: gaps between two requests to a host shorter than its Crawl-delay;
* utilization: ideal time (the slowest host's requests at exactly its delay) / actual time
  (first to last request over the farm, as the servers saw them).

Bar: zero early requests and utilization >= 0.9. The servers are one process with threads
(``crawler.devserver``); each crawl runs in its own process, as users run them.

    .venv/bin/python -m bench.bench_pace [--hosts 48] [--seconds 20] [--only ours]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DELAYS = (0.25, 0.5, 1.0, 2.0)


# -- the crawl, run in a child process ----------------------------------------------------
def _spider_class() -> type:
    import scrapy
    from scrapy.http import Response

    class BenchSpider(scrapy.Spider):
        """Fetches each host's index, then every page it lists."""

        name = "bench_pace"

        def __init__(self, urls: list[str], **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.urls = urls

        async def start(self) -> AsyncIterator[Any]:
            for url in self.urls:
                yield scrapy.Request(url, callback=self.parse_index)

        def parse_index(self, response: Response) -> Iterator[Any]:
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href, callback=self.parse_page)

        def parse_page(self, response: Response) -> None:
            return None

    return BenchSpider


def run_crawl(kind: str, delay: float, urls_file: str) -> None:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings
    from scrapy.utils.project import get_project_settings

    urls = json.loads(Path(urls_file).read_text())
    if kind == "ours":
        settings = get_project_settings()
        overrides = {
            "ALLOW_PRIVATE_HOSTS": True,  # the farm is on loopback
            "ITEM_PIPELINES": {},
            "CRAWL_RUNS_RECORD": False,
        }
        overrides.update(json.loads(os.environ.get("BENCH_PACE_SETTINGS", "{}")))
    else:
        settings = Settings()
        overrides = {
            "ROBOTSTXT_OBEY": True,
            "DOWNLOAD_DELAY": delay,
            # As many hosts at once as ours, so only the pacing differs.
            "CONCURRENT_REQUESTS": 64,
        }
    settings.setdict({**overrides, "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False})
    process = CrawlerProcess(settings)
    process.crawl(_spider_class(), urls=urls)
    process.start()


# -- the farm and the figures -------------------------------------------------------------
@dataclass
class Figures:
    name: str
    requests: int
    early: int
    wasted: int
    worst_ratio: float
    ideal: float
    actual: float
    wall: float

    @property
    def utilization(self) -> float:
        return self.ideal / self.actual if self.actual else 0.0


def build_farm(hosts: int, seconds: float) -> list[tuple[Any, float, int]]:
    from crawler.devserver import LoopbackSite, Reply

    farm = []
    for i in range(hosts):
        delay = DELAYS[i % len(DELAYS)]
        requests = int(seconds / delay)
        pages = max(1, requests - 2)  # robots.txt and the index count in the pace
        links = "".join(f'<a href="/p/{n}">{n}</a>' for n in range(pages))
        routes: dict[str, Any] = {
            "/robots.txt": Reply(
                200, f"User-agent: *\nCrawl-delay: {delay}\n", content_type="text/plain"
            ),
            "/": Reply(200, f"<html><body>{links}</body></html>"),
        }
        routes.update(
            {f"/p/{n}": Reply(200, f"<html><body>page {n}</body></html>") for n in range(pages)}
        )
        site = LoopbackSite(f"127.0.1.{i + 1}", 0, routes).start()
        farm.append((site, delay, pages + 2))
    return farm


def measure(name: str, farm: list[tuple[Any, float, int]], wall: float) -> Figures:
    early, worst, ideal, count, wasted = 0, float("inf"), 0.0, 0, 0
    first, last = float("inf"), float("-inf")
    for site, delay, _expected in farm:
        paths = Counter(r.path for r in site.requests())
        # anything beyond one robots.txt, the index and each page once
        wasted += sum(n - 1 for n in paths.values())
        times = sorted(r.time for r in site.requests())
        count += len(times)
        if not times:
            continue
        first, last = min(first, times[0]), max(last, times[-1])
        ideal = max(ideal, (len(times) - 1) * delay)
        for a, b in itertools.pairwise(times):
            worst = min(worst, (b - a) / delay)
            early += (b - a) < delay
    return Figures(name, count, early, wasted, worst, ideal, last - first, wall)


def crawl_farm(kind: str, delay: float, farm: list[tuple[Any, float, int]]) -> float:
    for site, _d, _n in farm:
        with site._lock:
            site.log.clear()
    urls = [site.url("/") for site, _d, _n in farm]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(urls, fh)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if kind == "ours":
        env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    else:
        env.pop("SCRAPY_SETTINGS_MODULE", None)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "bench.bench_pace", "--crawl", kind, "--delay", str(delay), fh.name],
        cwd=ROOT if kind == "ours" else tempfile.gettempdir(),
        env=env,
        check=True,
    )
    os.unlink(fh.name)
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--only", choices=["ours", "stock"], default=None)
    parser.add_argument("--crawl", choices=["ours", "stock"], help=argparse.SUPPRESS)
    parser.add_argument("--delay", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("urls_file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.crawl:
        run_crawl(args.crawl, args.delay, args.urls_file)
        return 0

    farm = build_farm(args.hosts, args.seconds)
    expected = sum(n for _s, _d, n in farm)
    runs = []
    if args.only in (None, "ours"):
        runs.append(("this crawler", "ours", 0.0))
    if args.only in (None, "stock"):
        runs += [
            ("stock DOWNLOAD_DELAY=0.25", "stock", 0.25),
            ("stock DOWNLOAD_DELAY=2", "stock", 2.0),
        ]
    results = []
    try:
        for name, kind, delay in runs:
            print(f"crawling: {name} ...", file=sys.stderr, flush=True)
            wall = crawl_farm(kind, delay, farm)
            results.append(measure(name, farm, wall))
    finally:
        for site, _d, _n in farm:
            site.stop()

    print(
        f"\n{args.hosts} hosts, Crawl-delays {'/'.join(f'{d:g}' for d in DELAYS)} s, "
        f"{expected} requests expected (robots.txt + index + pages), {args.seconds:g} s each"
    )
    header = (
        f"{'run':28} {'requests':>8} {'early':>6} {'wasted':>6} {'min gap/delay':>13} "
        f"{'ideal s':>8} {'actual s':>9} {'utilization':>11} {'wall s':>7}"
    )
    print(header)
    print("-" * len(header))
    for f in results:
        print(
            f"{f.name:28} {f.requests:8d} {f.early:6d} {f.wasted:6d} {f.worst_ratio:13.3f} "
            f"{f.ideal:8.2f} {f.actual:9.2f} {f.utilization:11.2f} {f.wall:7.1f}"
        )
    ours = next((f for f in results if f.name == "this crawler"), None)
    if ours is not None:
        ok = (
            ours.early == 0
            and ours.wasted == 0
            and ours.utilization >= 0.9
            and ours.requests == expected
        )
        print(
            "\nbar (0 early, 0 wasted, utilization >= 0.9, every page fetched): "
            f"{'MET' if ok else 'NOT MET'}"
        )
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
