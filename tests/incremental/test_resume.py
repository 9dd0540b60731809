"""A crawl stopped mid-way, by SIGKILL or by a graceful signal, resumes and ends complete."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select

from crawler.store.models import DJSetRow
from tests.conftest import ROOT
from tests.incremental.conftest import FAST, crawl, pages_by_url, sets_by_url, stat
from tests.incremental.site import ChangingSite


def _count(database: str) -> int:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(DJSetRow)).scalar_one()
    except Exception:  # the crawl has not created the tables yet
        return 0
    finally:
        engine.dispose()


def _start(site: ChangingSite, database: str, jobdir: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "scrapy", "crawl", "sets", "-a", f"start_urls={site.url('/')}",
            "-s", f"DATABASE_URL={database}", "-s", f"JOBDIR={jobdir}", *FAST]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (jobdir.parent / "crawl.log").open("wb")  # kept for a failing test's post-mortem
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)


def _stop_when_stored(proc: subprocess.Popen[bytes], database: str, sets: int, sig: int) -> None:
    deadline = time.monotonic() + 60
    while _count(database) < sets:
        assert proc.poll() is None, "the crawl ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.wait(timeout=60)


def test_a_crawl_killed_mid_way_resumes_and_stores_every_set_once(
    site: ChangingSite, database: str, tmp_path: Path
) -> None:
    jobdir = tmp_path / "job"
    proc = _start(site, database, jobdir)
    _stop_when_stored(proc, database, 60, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    stored_before = _count(database)
    assert 60 <= stored_before < 200
    # a page is recorded once its sets are stored (a batch, STORE_FLUSH_SECONDS), so the
    # kill may leave the last batch's pages unrecorded: those are fetched again in full
    recorded = [url for url in pages_by_url(database) if "/sets/" in url]
    assert 0 < len(recorded) <= stored_before

    n = len(site.replies)
    log = crawl(site, database, "-s", f"JOBDIR={jobdir}")

    assert "did not close (killed or crashed" in log
    # every set stored, each exactly once: the rest created now, none stored twice
    assert _count(database) == 200
    assert stat(log, "store/created") == 200 - stored_before
    assert stat(log, "store/updated") == 0
    assert len(sets_by_url(database)) == 200
    # what the killed run had recorded was asked for conditionally, not fetched again
    full_set_pages = [p for p, status, _ in site.replies[n:] if status == 200 and "/sets/" in p]
    assert len(full_set_pages) <= 200 - len(recorded) + 10  # + pages in flight at the kill


def test_a_crawl_stopped_by_a_signal_continues_from_its_jobdir(
    site: ChangingSite, database: str, tmp_path: Path
) -> None:
    jobdir = tmp_path / "job"
    proc = _start(site, database, jobdir)
    _stop_when_stored(proc, database, 60, signal.SIGINT)
    marker = json.loads((jobdir / "crawl-state.json").read_text())
    assert marker["state"] == "closed" and marker["reason"] == "shutdown"
    stored_before = _count(database)

    log = crawl(site, database, "-s", f"JOBDIR={jobdir}")

    assert "Resuming the run stopped in" in log
    assert _count(database) == 200
    assert stat(log, "store/created") == 200 - stored_before
    # the job state said what was done: the second run asked the site for the rest only
    assert stat(log, "incremental/not_modified") == 0

    log = crawl(site, database, "-s", f"JOBDIR={jobdir}")  # finished: the next run starts anew
    assert "finished: starting afresh" in log
    assert stat(log, "incremental/not_modified") >= 200
