"""A database that goes away, comes back, or was never there: no set is lost.

A private PostgreSQL server is stopped hard (``pg_ctl -m immediate``, as a crash) in the
middle of a crawl of a loopback site; every set the crawl saw is stored once it is back,
within the crawl or by the next run, and exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from crawler.store.models import DJSetRow, Page
from tests.conftest import ROOT, run_scrapy
from tests.incremental.conftest import FAST, stat
from tests.incremental.site import ChangingSite
from tests.reliability.postgres import PrivatePostgres

PAGES = 300


@pytest.fixture
def site() -> Iterator[ChangingSite]:
    # 0.05 s between requests: the crawl takes about 20 s, long enough for an outage.
    with ChangingSite("127.0.0.6", pages=PAGES, per_index=50, crawl_delay=0.05) as s:
        yield s


def _count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(DJSetRow)).scalar_one()
    except Exception:  # away, or no tables yet
        return 0
    finally:
        engine.dispose()


def _urls(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        urls = list(conn.execute(select(DJSetRow.url)).scalars())
    engine.dispose()
    return urls


def _start(site: ChangingSite, database: str, spool: Path, log: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "scrapy", "crawl", "sets", "-a", f"start_urls={site.url('/')}",
            "-s", f"DATABASE_URL={database}", "-s", f"SPOOL_DIR={spool}", *FAST]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=log.open("wb"))  # fmt: skip


def _wait_for(count: int, database: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while _count(database) < count:
        assert proc.poll() is None, "the crawl ended too soon"
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _crawl(site: ChangingSite, database: str, spool: Path) -> str:
    args = ["crawl", "sets", "-a", f"start_urls={site.url('/')}", "-s", f"DATABASE_URL={database}",
            "-s", f"SPOOL_DIR={spool}", *FAST]  # fmt: skip
    return run_scrapy(*args, timeout=180).check().stderr


@pytest.mark.postgres
def test_an_outage_in_the_middle_of_a_crawl_loses_no_set(
    site: ChangingSite, private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    database, log = private_postgres.url, tmp_path / "crawl.log"
    proc = _start(site, database, tmp_path / "spool", log)
    _wait_for(60, database, proc)
    private_postgres.stop()  # as a crash: connections cut, nothing answers
    time.sleep(5)
    private_postgres.start()
    assert proc.wait(timeout=120) == 0, log.read_text()[-3000:]
    text = log.read_text()
    assert "is not answering" in text
    assert stat(text, "store/spooled") > 0
    assert stat(text, "store/unstored") == 0
    urls = _urls(database)
    assert len(urls) == len(set(urls)) == PAGES, text[-3000:]
    assert "Traceback" not in text


@pytest.mark.postgres
def test_sets_left_unstored_at_the_end_are_stored_by_the_next_run_and_their_pages_fetched_again(
    site: ChangingSite, private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    database, spool, log = private_postgres.url, tmp_path / "spool", tmp_path / "crawl.log"
    proc = _start(site, database, spool, log)
    _wait_for(60, database, proc)
    private_postgres.stop()
    assert proc.wait(timeout=120) != 0, "sets left unstored make the crawl fail"
    text = log.read_text()
    unstored = stat(text, "store/unstored")
    stored = _count_when_up(private_postgres, database)
    assert unstored > 0 and stored + unstored == PAGES, text[-3000:]
    assert "sets could not be stored; they are kept in" in text
    assert list(spool.rglob("*.jsonl")), "the spool file is there"

    # Pages whose sets wait in the spool were not recorded: fetched in full next time.
    engine = create_engine(database)
    with engine.connect() as conn:
        recorded = set(conn.execute(select(Page.url)).scalars())
    engine.dispose()
    assert len([u for u in recorded if "/sets/" in u]) <= stored

    second = _crawl(site, database, spool)
    assert stat(second, "store/replayed") == unstored
    urls = _urls(database)
    assert len(urls) == len(set(urls)) == PAGES
    assert not list(spool.rglob("*.jsonl")), "a replayed spool file is deleted"


def _spooled(spool: Path) -> int:
    return sum(
        1 for f in spool.rglob("*.jsonl") for line in f.read_text().splitlines() if line.strip()
    )


def _count_when_up(server: PrivatePostgres, database: str) -> int:
    server.start()
    return _count(database)


@pytest.mark.postgres
def test_a_crawl_killed_while_sets_are_spooled_stores_each_of_them_exactly_once_next_time(
    site: ChangingSite, private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    database, spool, log = private_postgres.url, tmp_path / "spool", tmp_path / "crawl.log"
    proc = _start(site, database, spool, log)
    _wait_for(60, database, proc)
    private_postgres.stop()
    # Killed once sets are in the spool file: the first ones can reach it seconds after
    # the outage is logged (a fixed second made this test fail one run in three).
    deadline = time.monotonic() + 60
    while _spooled(spool) == 0:
        assert time.monotonic() < deadline and proc.poll() is None, log.read_text()[-3000:]
        time.sleep(0.05)
    time.sleep(0.5)  # a few more sets into the spool
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _spooled(spool) > 0
    private_postgres.start()

    second = _crawl(site, database, spool)
    assert stat(second, "store/replayed") >= 1
    urls = _urls(database)
    assert len(urls) == len(set(urls)) == PAGES
    assert not list(spool.rglob("*.jsonl"))


def test_an_unreachable_store_stops_the_crawl_before_any_request_in_one_masked_line(
    tmp_path: Path,
) -> None:
    with socket_bound() as port, ChangingSite("127.0.0.7", pages=5) as site:
        database = f"postgresql+psycopg://crawler:s3cret-pw@127.0.0.1:{port}/tracklists"
        result = run_scrapy("crawl", "sets", "-a", f"start_urls={site.url('/')}",
                            "-s", f"DATABASE_URL={database}", *FAST)  # fmt: skip
        assert site.replies == [], "nothing was sent to the site"
    assert result.returncode == 1
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    errors = [ln for ln in result.stderr.splitlines() if " ERROR: " in ln]
    assert len(errors) == 1, result.stderr[-3000:]
    assert "Cannot open the store postgresql+psycopg://crawler:***@127.0.0.1" in errors[0]
    assert "Nothing was crawled" in errors[0]


@pytest.mark.postgres
def test_a_missing_postgresql_database_gets_the_createdb_command(
    private_postgres: PrivatePostgres,
) -> None:
    database = private_postgres.url.rsplit("/", 1)[0] + "/no_such_db"
    result = run_scrapy("crawl", "sets", "-a", "start_urls=http://127.0.0.1:9/",
                        "-s", f"DATABASE_URL={database}", *FAST)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    hint = f"createdb -h 127.0.0.1 -p {private_postgres.port} -U postgres no_such_db"
    assert hint in result.stderr, result.stderr[-2000:]


class socket_bound:
    """A loopback port that is bound but never listens: connections are refused."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
