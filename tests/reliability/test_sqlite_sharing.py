"""One SQLite store, shared: ``crawler serve`` reading it while a crawl writes 300 sets,
and two crawls writing it at once.

SQLite allows one writer and many readers at a time; the store runs in WAL mode with a
busy timeout (crawler/store/db.py), as SQLite recommends for that, so readers never see
an error and no writer loses a set to "database is locked".
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.store.db import create_store_engine, upgrade
from tests.conftest import ROOT
from tests.incremental.conftest import FAST
from tests.incremental.site import ChangingSite
from tests.reliability.test_full_disk import stored_sets

TRACKS = 8


def _store(path: Path) -> str:
    database = f"sqlite:///{path}"
    engine = create_store_engine(database)
    upgrade(engine)
    engine.dispose()
    return database


def _crawl(site: ChangingSite, database: str, log: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "scrapy", "crawl", "sets", "-a", f"start_urls={site.url('/')}",
            "-s", f"DATABASE_URL={database}", "-s", "STORE_BATCH_SIZE=20", *FAST]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=log.open("wb"))  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """(database, base URL of ``crawler serve`` over it, the server's log)."""
    pytest.importorskip("uvicorn")
    database, port, log = _store(tmp_path / "crawler.db"), _free_port(), tmp_path / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler", "serve", "--database", database, "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
            break
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
    try:
        yield database, base, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_serve_reads_while_a_crawl_writes_300_sets(
    served: tuple[str, str, Path], tmp_path: Path
) -> None:
    database, base, serve_log = served
    paths = [
        "/api/v1/sets?limit=50", "/api/v1/search?q=session", "/api/v1/stats", "/",
        "/search?q=artist", "/api/v1/tracks?artist=artist", "/healthz", "/api/v1/runs",
    ]  # fmt: skip
    statuses: Counter[int] = Counter()
    with ChangingSite("127.123.6.1", pages=300) as site:
        crawl = _crawl(site, database, tmp_path / "crawl.log")
        while crawl.poll() is None:
            for path in paths:
                statuses[_status(base + path)] += 1
        for path in paths:
            statuses[_status(base + path)] += 1
    crawl_log = (tmp_path / "crawl.log").read_text()
    assert crawl.returncode == 0, crawl_log[-3000:]
    assert not [s for s in statuses if s >= 500], (statuses, serve_log.read_text()[-3000:])
    assert sum(statuses.values()) > 3 * len(paths), "the server was read during the crawl"
    stored = stored_sets(tmp_path / "crawler.db")
    assert len(stored) == 300 and set(stored.values()) == {TRACKS}
    assert "database is locked" not in crawl_log + serve_log.read_text()


@pytest.mark.slow
def test_two_crawls_into_one_sqlite_file_at_once_both_complete(tmp_path: Path) -> None:
    database = _store(tmp_path / "crawler.db")
    with (
        ChangingSite("127.123.7.1", pages=150) as one,
        ChangingSite("127.123.7.2", pages=150) as two,
    ):
        crawls = [_crawl(site, database, tmp_path / f"crawl{i}.log")
                  for i, site in enumerate((one, two))]  # fmt: skip
        codes = [crawl.wait(timeout=180) for crawl in crawls]
    logs = "\n".join((tmp_path / f"crawl{i}.log").read_text()[-3000:] for i in range(2))
    assert codes == [0, 0], logs
    # The two sites serve the same 150 sets: each is one set, known under both URLs.
    stored = stored_sets(tmp_path / "crawler.db")
    assert len(stored) == 150 and set(stored.values()) == {TRACKS}, logs
    with sqlite3.connect(tmp_path / "crawler.db") as conn:
        urls = [row[0] for row in conn.execute("SELECT url FROM set_sources")]
    assert len(urls) == len(set(urls)) == 300
    assert "database is locked" not in logs
