"""Hostile servers on loopback: the crawl stays bounded, ends, and stores what it can."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from crawler.devserver import Reply
from tests.conftest import ROOT, run_scrapy
from tests.incremental.conftest import FAST, stat
from tests.reliability.hostile import DripServer, gzip_bomb, hostile_site, links_page

MiB = 1024 * 1024


def _crawl(url: str, tmp_path: Path, *extra: str, exit_code: int = 0) -> str:
    """The crawl's log; its exit code is its outcome's (1: every page request failed)."""
    result = run_scrapy("crawl", "sets", "-a", f"start_urls={url}", "-a", "sitemaps=0",
                        "-s", f"DATABASE_URL=sqlite:///{tmp_path}/c.db", *FAST, *extra)  # fmt: skip
    assert result.returncode == exit_code, result.stderr[-3000:]
    return result.stderr


def test_a_compressed_bomb_is_refused_once_it_expands_past_the_download_limit(
    tmp_path: Path,
) -> None:
    bomb = gzip_bomb(1024 * MiB)  # 1 MiB on the wire, 1 GiB expanded
    reply = Reply(200, bomb, headers={"Content-Encoding": "gzip"})
    with hostile_site("127.0.0.8", {"/": reply}) as site:
        log = _crawl(site.url("/"), tmp_path, exit_code=1)
    assert "DOWNLOAD_MAXSIZE (8388608 B) during decompression" in log
    assert stat(log, "item_scraped_count") == 0


def test_a_page_of_a_million_links_is_refused_by_its_size_and_the_crawl_ends_at_once(
    tmp_path: Path,
) -> None:
    with hostile_site("127.0.0.8", {"/": Reply(200, links_page(1_000_000))}) as site:
        started = time.monotonic()
        log = _crawl(site.url("/"), tmp_path, exit_code=1)
        assert time.monotonic() - started < 30
        assert [r.path for r in site.requests() if r.path.startswith("/p/")] == []
    assert "larger than download max size" in log or "DOWNLOAD_MAXSIZE" in log


def test_links_followed_from_one_page_are_capped_and_the_rest_counted(tmp_path: Path) -> None:
    routes = {"/": Reply(200, links_page(3_000))}
    routes |= {f"/p/{i}": Reply(200, "<html><body>leaf</body></html>") for i in range(3_000)}
    with hostile_site("127.0.0.8", routes) as site:
        log = _crawl(site.url("/"), tmp_path, "-s", "MAX_LINKS_PER_PAGE=20")
        followed = [r.path for r in site.requests() if r.path.startswith("/p/")]
    assert len(followed) == 20
    assert "more links than MAX_LINKS_PER_PAGE (20): 2980 left out" in log
    assert stat(log, "crawl/links_left_out") == 2_980


def test_a_stop_signal_ends_a_crawl_within_seconds_while_a_server_drips(tmp_path: Path) -> None:
    with DripServer("127.0.0.9") as drip:
        database = f"DATABASE_URL=sqlite:///{tmp_path}/c.db"
        args = [sys.executable, "-m", "scrapy", "crawl", "sets", "-a", f"start_urls={drip.url}/",
                "-a", "sitemaps=0", "-s", database, *FAST]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        log = tmp_path / "crawl.log"
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=log.open("wb"))  # fmt: skip
        deadline = time.monotonic() + 30
        while not any(path == "/" for _, path in drip.requests):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        proc.wait(timeout=30)
        took = time.monotonic() - stopped
    assert took < 8, f"took {took:.1f} s to stop"
    assert "downloads still in flight are cut short" in log.read_text()


def test_a_slow_download_gives_up_within_the_download_timeout(tmp_path: Path) -> None:
    with DripServer("127.0.0.9") as drip:
        started = time.monotonic()
        log = _crawl(f"{drip.url}/", tmp_path, "-s", "DOWNLOAD_TIMEOUT=2", exit_code=1)
        took = time.monotonic() - started
        pages = [path for _, path in drip.requests if path == "/"]
    assert len(pages) == 2, "one retry (RETRY_TIMES = 1)"
    assert took < 20
    assert "TimeoutError" in log or "timeout" in log.lower()


def test_redirects_into_address_space_that_is_not_public_are_refused(tmp_path: Path) -> None:
    targets = {
        "/cgnat": "http://100.64.0.1/latest/meta-data/",
        "/metadata": "http://169.254.169.254/latest/meta-data/",
        "/mapped": "http://[::ffff:10.0.0.1]/admin",
        "/sixtofour": "http://[2002:c0a8:0101::1]/router",
    }
    links = "".join(f'<a href="{path}">x</a>' for path in targets)
    routes = {"/": Reply(200, f"<html><body>{links}</body></html>")}
    routes |= {path: Reply(302, "", headers={"Location": to}) for path, to in targets.items()}
    with hostile_site("127.0.0.8", routes) as site:
        log = _crawl(site.url("/"), tmp_path, "-s", "ALLOW_PRIVATE_HOSTS=False",
                     "-s", "ALLOWED_PRIVATE_NETWORKS=127.0.0.0/8",
                     "-s", "CONTACT=tests@example.org")  # fmt: skip
        assert {r.path for r in site.requests()} >= set(targets), "each redirect was followed"
    assert stat(log, "politeness/refused/private_host") == len(targets)
    for host in ("100.64.0.1", "169.254.169.254", "::ffff:10.0.0.1", "2002:c0a8:0101::1"):
        assert f"Refusing {host} resolves to an address that is not public" in log
