"""Rendering cost: 50 pages rendered by Debian's Chromium, beside the same pages fetched plainly.

Serves ``--hosts`` loopback hosts (127.0.70.x, default 10) of ``--pages`` set pages each
(default 5), whose track list is filled in by script from ``/api/...json``; each host's
robots.txt asks for ``Crawl-delay: --delay`` (default 0.05 s). Two crawls of the same
farm, each ``scrapy crawl sets`` in a subprocess, exactly as a user runs it:

- rendered: a SITE_POLICY_FILE says ``render_js = true`` for every host, so each page is
  fetched plainly, found empty, and rendered (its stylesheet and /api/ JSON fetched
  through the gate, paced, its image, font and off-site script refused);
- plain: the same entries with ``render_js = false``, so the same pages are only fetched.

Figures: pages per second (pages ÷ the crawl's own ``elapsed_time_seconds``), wall time
(process start to exit, browser start-up included), and peak memory: the sum of the RSS
of the crawl's whole process tree (Scrapy, the Playwright driver, every Chromium process),
sampled every 50 ms from /proc, and the sum of PSS too, which counts pages the Chromium
processes share only once. Plus the server-side check: no two requests to a host
closer than its Crawl-delay, sub-requests included.

    .venv/bin/python bench/bench_render.py
    .venv/bin/python bench/bench_render.py --hosts 5 --pages 10 --max-pages 2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.proctree import TreeSampler  # noqa: E402
from crawler import settings as defaults  # noqa: E402
from crawler.devserver import LoopbackSite  # noqa: E402
from tests.render.jsite import js_site  # noqa: E402

OUT = ROOT / "bench" / "out"
CHROMIUM = "/usr/bin/chromium"


def _farm(hosts: int, pages: int, delay: float) -> list[LoopbackSite]:
    robots = f"User-agent: *\nCrawl-delay: {delay}\n"
    return [js_site(f"127.0.70.{i + 1}", robots=robots, pages=pages) for i in range(hosts)]


def _stats(log: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r"'([\w/.]+)': ([\d.]+)", log)}


def crawl(label: str, args: argparse.Namespace, tmp: Path, render: bool) -> dict[str, Any]:
    sites = _farm(args.hosts, args.pages, args.delay)
    for site in sites:
        site.start()
    try:
        terms = tmp / f"{label}.toml"
        flag = str(render).lower()
        entries = [f'[[site]]\ndomain = "{s.host}"\nrender_js = {flag}\n' for s in sites]
        terms.write_text("\n".join(entries))
        cmd = [
            sys.executable, "-m", "scrapy", "crawl", "sets",
            "-a", "start_urls=" + ",".join(s.url("/sets/0") for s in sites),
            "-a", f"max_depth={args.pages}",
            "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", f"SITE_POLICY_FILE={terms}",
            "-s", f"DATABASE_URL=sqlite:///{tmp / (label + '.db')}",
            "-s", f"RENDER_MAX_PAGES={args.max_pages}", "-s", "LOG_LEVEL=INFO",
            "-s", f"RENDER_MAX_CONTEXTS={max(args.max_pages, args.hosts)}",
        ]  # fmt: skip
        cmd += [arg for setting in args.settings for arg in ("-s", setting)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, log = proc.communicate(timeout=600)
        wall = time.monotonic() - started
        sampler.done.set()
        sampler.join()
        (OUT / f"bench_render_{label}.log").write_text(log)
        if proc.returncode != 0:
            raise SystemExit(f"{label} crawl failed, see bench/out/bench_render_{label}.log")
        stats = _stats(log)
        early = 0
        for site in sites:
            for a, b in pairwise(site.requests()):
                if b.time - a.time < args.delay - 1e-3:
                    early += 1
                    print(f"early: {site.host} {a.path} -> {b.path} {b.time - a.time:.4f} s")
        served = sum(len(s.requests()) for s in sites)
        fetched = sum(1 for s in sites for r in s.requests() if r.path.startswith("/sets/"))
        items = int(stats.get("item_scraped_count", 0))
    finally:
        for site in sites:
            site.stop()
    elapsed = stats.get("elapsed_time_seconds", wall)
    pages = int(stats.get("render/pages", 0)) if render else fetched
    return {
        "run": label,
        "pages": pages,
        "sets": items,
        "elapsed_s": round(elapsed, 2),
        "wall_s": round(wall, 2),
        "pages_per_s": round(pages / elapsed, 2),
        "peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
        "peak_pss_mb": round(sampler.peak_pss / 2**20, 1),
        "requests_served": served,
        "early_requests": early,
        "subrequests_allowed": int(stats.get("render/subrequests/allowed", 0)),
        "subrequests_aborted": int(
            sum(v for k, v in stats.items() if k.startswith("render/subrequests/aborted/"))
        ),
        "timeouts": int(stats.get("render/timeouts", 0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--pages", type=int, default=5, help="set pages per host")
    parser.add_argument("--delay", type=float, default=0.05, help="Crawl-delay (s)")
    parser.add_argument(
        "--max-pages", type=int, default=defaults.RENDER_MAX_PAGES, help="RENDER_MAX_PAGES"
    )
    parser.add_argument(
        "-s", dest="settings", action="append", default=[], help="NAME=VALUE for both crawls"
    )
    args = parser.parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit("needs Debian's package `chromium` (sudo apt-get install chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            crawl("plain", args, Path(tmp), render=False),
            crawl("rendered", args, Path(tmp), render=True),
        ]
    print(
        f"{args.hosts} hosts x {args.pages} pages, Crawl-delay {args.delay} s, "
        f"RENDER_MAX_PAGES={args.max_pages}"
    )
    head = ("run", "pages", "sets", "elapsed_s", "wall_s", "pages_per_s", "peak_rss_mb",
            "peak_pss_mb", "requests_served", "early_requests", "subrequests_allowed",
            "subrequests_aborted", "timeouts")  # fmt: skip
    for h in head:
        print(f"{h:>20}  " + "  ".join(f"{row[h]!s:>10}" for row in rows))
    plain, rendered = rows
    print(
        f"rendering: {plain['pages_per_s'] / max(rendered['pages_per_s'], 1e-9):.1f}x slower, "
        f"{rendered['peak_rss_mb'] / max(plain['peak_rss_mb'], 1e-9):.1f}x the memory (RSS sum; "
        f"{rendered['peak_pss_mb'] / max(plain['peak_pss_mb'], 1e-9):.1f}x by PSS)"
    )
    (OUT / "bench_render.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
