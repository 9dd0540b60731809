"""Real signals in the middle of a crawl: the exit code tells the truth, one rerun completes.

A crawl of a loopback site of 300 sets is stopped by SIGTERM (graceful), by SIGINT twice
(Scrapy's "forcing unclean shutdown") or by SIGKILL during a batch on PostgreSQL. Every
stop leaves a non-zero exit code, and the next crawl of the same store leaves every set
stored with all its tracks, none twice.
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
from sqlalchemy import create_engine, text

from tests.conftest import ROOT, run_scrapy
from tests.incremental.conftest import FAST
from tests.incremental.site import ChangingSite

PAGES, TRACKS = 300, 8


@pytest.fixture
def site() -> Iterator[ChangingSite]:
    with ChangingSite("127.123.4.1", pages=PAGES) as s:
        yield s


def _args(site: ChangingSite, database: str, spool: Path) -> list[str]:
    return ["crawl", "sets", "-a", f"start_urls={site.url('/')}", "-s", f"DATABASE_URL={database}",
            "-s", f"SPOOL_DIR={spool}", "-s", "STORE_BATCH_SIZE=40", *FAST]  # fmt: skip


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    # PYTHONFAULTHANDLER: a crawl that hangs is sent SIGABRT (_wait_or_dump), and says where
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"}
    return subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"))  # fmt: skip


def _wait_or_dump(proc: subprocess.Popen[bytes], log: Path, timeout: float) -> int:
    """The crawl's exit code; past ``timeout``, its threads' stacks (SIGABRT) and log fail
    the test instead of a bare TimeoutExpired."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        proc.wait(timeout=30)
        pytest.fail(f"the crawl did not end within {timeout:g} s:\n{log.read_text()[-6000:]}")


def _sets(database: str) -> dict[str, int]:
    """url -> track entries of every stored set (none when the store is not there yet)."""
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            # One statement, so one snapshot: a second query would see sets the crawl stored
            # in between (PostgreSQL's READ COMMITTED gives each statement its own snapshot).
            rows = conn.execute(text(
                "SELECT s.url, count(e.id) FROM sets s LEFT JOIN set_entries e"
                " ON e.set_id = s.id GROUP BY s.id")).all()  # fmt: skip
    except Exception:
        return {}
    finally:
        engine.dispose()
    assert len({url for url, _ in rows}) == len(rows), "no set twice"
    return {str(url): int(n) for url, n in rows}


def _wait_for(count: int, database: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    # A wait for progress, not a timing: late in a full suite the test process (and the
    # loopback site in it) has grown large, and its pauses once held the crawl to 18 pages
    # in the first minute.
    deadline = time.monotonic() + 180
    while len(_sets(database)) < count:
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)


def _rerun_completes(site: ChangingSite, database: str, spool: Path) -> None:
    result = run_scrapy(*_args(site, database, spool), timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    stored = _sets(database)
    assert len(stored) == PAGES and set(stored.values()) == {TRACKS}, result.stderr[-3000:]


def test_sigint_twice_exits_non_zero_and_one_rerun_completes(
    site: ChangingSite, tmp_path: Path
) -> None:
    database, spool, log = f"sqlite:///{tmp_path}/crawler.db", tmp_path / "spool", tmp_path / "log"
    proc = _start(_args(site, database, spool), log)
    _wait_for(60, database, proc, log)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    text_ = log.read_text()
    assert code != 0, text_[-3000:]
    assert len(_sets(database)) < PAGES
    assert "forcing unclean shutdown" in text_
    assert "the crawl was stopped before it could close" in text_
    _rerun_completes(site, database, spool)


def test_sigterm_in_the_middle_of_the_batches_stops_partial_and_one_rerun_completes(
    site: ChangingSite, tmp_path: Path
) -> None:
    database, spool, log = f"sqlite:///{tmp_path}/crawler.db", tmp_path / "spool", tmp_path / "log"
    proc = _start(_args(site, database, spool), log)
    _wait_for(41, database, proc, log)  # the first batch of 40 is in; the next one is coming
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    code = _wait_or_dump(proc, log, timeout=30)
    assert time.monotonic() - started < 10, "a graceful stop does not wait for the store"
    assert code == 3, log.read_text()[-3000:]  # partial: stopped before it finished
    assert "Crawl partial — the crawl was stopped before it finished" in log.read_text()
    _rerun_completes(site, database, spool)


@pytest.mark.parametrize("moment", ["spider opened", "spider opened + 0.1 s", "first set page"])
def test_sigterm_right_after_start_ends_at_once_and_non_zero(
    site: ChangingSite, tmp_path: Path, moment: str
) -> None:
    """The first set page's answer waits for its host's tdmrep.json, which the frontier
    fetches at the host's turn: a SIGTERM then once held the close for a download timeout
    (30 s), as the closing engine asks the frontier for nothing more."""
    database, spool, log = f"sqlite:///{tmp_path}/crawler.db", tmp_path / "spool", tmp_path / "log"
    proc = _start(_args(site, database, spool), log)
    deadline = time.monotonic() + 30

    def reached() -> bool:
        if moment == "first set page":
            return any(path.startswith("/sets/") for path, *_ in site.replies)
        return "Spider opened" in log.read_text()

    while not reached():
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.002)
    if moment.endswith("0.1 s"):
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    code = _wait_or_dump(proc, log, timeout=40)
    assert time.monotonic() - started < 10, log.read_text()[-3000:]
    assert code != 0, log.read_text()[-3000:]


@pytest.mark.postgres
def test_kill_9_during_a_batch_on_postgresql_and_one_rerun_completes(
    site: ChangingSite, postgres_url: str, tmp_path: Path
) -> None:
    spool, log = tmp_path / "spool", tmp_path / "log"
    proc = _start(_args(site, postgres_url, spool), log)
    _wait_for(100, postgres_url, proc, log)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert len(_sets(postgres_url)) < PAGES
    _rerun_completes(site, postgres_url, spool)
