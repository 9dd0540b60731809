"""Memory and time of a crawl against hostile servers, beside a plain crawl of one page.

Each crawl runs in its own process (``scrapy crawl sets``, as users run it) against a
loopback server; ``wait4`` gives that process's own peak RSS. Scenarios:

* baseline: one ordinary page;
* gzip bomb, 10 MB on the wire expanding to 10 GiB (refused by its size at once) and
  1 MiB expanding to 1 GiB (refused while it expands, at DOWNLOAD_MAXSIZE);
* a page of 1,000,000 links: as shipped (refused by its size) and with DOWNLOAD_MAXSIZE
  raised to 64 MiB, so that the page is parsed and MAX_LINKS_PER_PAGE does the bounding;
* 200,000 queued URLs: 200 index pages of 1,000 links each on one host, the crawl stopped
  after ``--queue-seconds``, in memory and with Scrapy's disk queues under JOBDIR;
* imports (``scrapy crawl exports``) of a Serato CSV history of 1,000,000 rows (one
  session, as Serato writes it) and an M3U of 1,000,000 entries, streamed and cut at
  MAX_TRACKS_PER_SET, against the import of a 100-row history (``--only imports``).

Bars: gzip bomb under 300 MiB peak RSS; the 1,000,000-link page under 600 MiB and the
crawl closed within 30 s.

    .venv/bin/python -m bench.bench_hostile [--queue-seconds 20]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.devserver import Reply  # noqa: E402
from tests.exports.test_streaming import m3u, serato_history  # noqa: E402
from tests.reliability.hostile import gzip_bomb, hostile_site, links_page  # noqa: E402

MiB = 1024 * 1024
LEAF = "<html><body><p>a page</p></body></html>"


def crawl(url: str, folder: Path, *settings: str) -> tuple[float, float, str]:
    """(seconds, peak RSS in MiB, log) of one crawl in a child process."""
    command = [sys.executable, "-m", "scrapy", "crawl", "sets", "-a", f"start_urls={url}",
               "-a", "sitemaps=0", "-s", f"DATABASE_URL=sqlite:///{folder}/crawl.db",
               "-s", "ALLOW_PRIVATE_HOSTS=True", "-s", "CRAWL_DELAY_DEFAULT=0.01",
               "-s", "LOG_LEVEL=INFO", *settings]  # fmt: skip
    return _measure(command, folder)


def import_file(path: Path, folder: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MiB, log) of one import in a child process."""
    command = [sys.executable, "-m", "scrapy", "crawl", "exports", "-a", f"path={path}",
               "-s", f"DATABASE_URL=sqlite:///{folder}/import.db",
               "-s", "LOG_LEVEL=INFO"]  # fmt: skip
    return _measure(command, folder)


def _measure(command: list[str], folder: Path) -> tuple[float, float, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = folder / "crawl.log"
    started = time.perf_counter()
    with log.open("w") as err:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, _status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, log.read_text()


def _queue_routes(indexes: int, per_index: int) -> dict[str, Reply]:
    routes = {"/": Reply(200, "".join(f'<a href="/i/{n}">i</a>' for n in range(indexes)))}
    for n in range(indexes):
        links = "".join(f'<a href="/p/{n}/{k}">p</a>\n' for k in range(per_index))
        routes[f"/i/{n}"] = Reply(200, f"<html><body>{links}</body></html>")
    return routes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue-seconds", type=int, default=20)
    parser.add_argument("--only", choices=["queue", "imports"], default=None)
    args = parser.parse_args()
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def run(name: str, routes: dict[str, Reply], *settings: str, note: str = "") -> None:
            folder = out / name.replace(" ", "_")
            folder.mkdir()
            with hostile_site("127.0.0.10", routes) as site:
                seconds, rss, log = crawl(site.url("/"), folder, *settings)
            if "Traceback" in log:
                print(log[-3000:], file=sys.stderr)
            queued = re.search(r"'scheduler/enqueued': (\d+)", log)
            note = f"{note}; {int(queued.group(1)):,} requests queued" if queued else note
            rows.append((name, seconds, rss, note.lstrip("; ")))

        if args.only == "imports":
            imports(out, rows)
            report(rows)
            return
        run("baseline (one page)", {"/": Reply(200, LEAF)})
        if args.only != "queue":
            hostile(run)
        queue = _queue_routes(200, 1000)
        # Breadth first, so that all 200 index pages (and their 200,000 links) come first.
        fifo = "scrapy.squeues.FifoMemoryQueue"
        stop = ("-s", f"CLOSESPIDER_TIMEOUT={args.queue_seconds}", "-a", "max_depth=2",
                "-s", "DEPTH_PRIORITY=1", "-s", f"SCHEDULER_MEMORY_QUEUE={fifo}",
                "-s", "SCHEDULER_DISK_QUEUE=scrapy.squeues.PickleFifoDiskQueue")  # fmt: skip
        run("200,000 queued, memory queue", queue, *stop)
        run("200,000 queued, JOBDIR disk queue", queue, *stop, "-s", f"JOBDIR={out}/job")
        if args.only is None:
            imports(out, rows)
    report(rows)


def report(rows: list[tuple[str, float, float, str]]) -> None:
    """Each row against the first one of its kind (a crawl of one page, a small import)."""
    base = rows[0][2]
    print(f"{'scenario':40} {'seconds':>8} {'peak RSS MiB':>13} {'x baseline':>11}  note")
    for name, seconds, rss, note in rows:
        base = rss if name.startswith("baseline") else base
        print(f"{name:40} {seconds:8.1f} {rss:13.0f} {rss / base:11.2f}  {note}")


def imports(out: Path, rows: list[tuple[str, float, float, str]]) -> None:
    """Streamed imports of huge files against the import of a small one."""
    cases: list[tuple[str, Callable[[Path, int], Path], int]] = [
        ("baseline import (100-row CSV)", serato_history, 100),
        ("CSV of 1,000,000 rows, streamed", serato_history, 1_000_000),
        ("M3U of 1,000,000 entries, streamed", m3u, 1_000_000),
    ]
    for name, write, size in cases:
        folder = out / name.split(" (")[0].replace(" ", "_").replace(",", "")
        folder.mkdir()
        path = write(folder / ("history.csv" if write is serato_history else "list.m3u"), size)
        seconds, rss, log = import_file(path, folder)
        if "Traceback" in log:
            print(log[-3000:], file=sys.stderr)
        left_out = re.search(r"'normalize/tracks_left_out': (\d+)", log)
        note = f"{path.stat().st_size / 1e6:.0f} MB"
        note += f"; {int(left_out.group(1)):,} tracks past the cap counted" if left_out else ""
        rows.append((name, seconds, rss, note))


def hostile(run: Callable[..., None]) -> None:
    bomb_10g = Reply(200, gzip_bomb(10 * 1024 * MiB), headers={"Content-Encoding": "gzip"})
    run("gzip bomb 10 MB -> 10 GiB", {"/": bomb_10g}, note="refused by Content-Length")
    bomb_1g = Reply(200, gzip_bomb(1024 * MiB), headers={"Content-Encoding": "gzip"})
    run("gzip bomb 1 MiB -> 1 GiB", {"/": bomb_1g}, note="refused while expanding")
    million = links_page(1_000_000)
    run("1,000,000 links", {"/": Reply(200, million)}, note="refused by its size")
    run("1,000,000 links, 64 MiB limit", {"/": Reply(200, million)},
        "-s", f"DOWNLOAD_MAXSIZE={64 * MiB}", "-s", "DEPTH_LIMIT=1",
        note="parsed; MAX_LINKS_PER_PAGE follows 1,000")  # fmt: skip


if __name__ == "__main__":
    main()
