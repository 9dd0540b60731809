"""``python -m crawler schedule list / run / run --forever`` against a loopback site."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.store import session_factory
from crawler.store.models import CrawlRun
from tests.conftest import ROOT, run_cli
from tests.incremental.site import ChangingSite


@pytest.fixture
def site() -> Iterator[ChangingSite]:
    with ChangingSite("127.0.0.5", pages=20, per_index=10) as s:
        yield s


def schedule_file(tmp_path: Path, site: ChangingSite, cron: str = "0 3 * * *") -> Path:
    path = tmp_path / "schedule.toml"
    path.write_text(f"""
database = "sqlite:///crawler.db"
[crawls.radio]
spider = "sets"
cron = "{cron}"
args = {{ start_urls = "{site.url('/')}" }}
settings = {{ ALLOW_PRIVATE_HOSTS = true, CRAWL_DELAY_DEFAULT = 0.01, LOG_LEVEL = "INFO" }}
""")  # fmt: skip
    return path


def runs(tmp_path: Path) -> list[CrawlRun]:
    with session_factory(f"sqlite:///{tmp_path}/crawler.db")() as session:
        return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def test_list_run_and_nothing_due_after(tmp_path: Path, site: ChangingSite) -> None:
    path = schedule_file(tmp_path, site)
    listing = run_cli("schedule", "list", "-f", str(path)).check().stdout
    assert "radio" in listing and "never run" in listing and "now (due)" in listing

    result = run_cli("schedule", "run", "-f", str(path)).check()
    assert "radio: ok (finished" in result.stdout
    [run] = runs(tmp_path)
    assert run.name == "radio" and run.spider == "sets" and run.finish_reason == "finished"
    assert run.outcome == "ok"
    assert run.stats["item_scraped_count"] == 20
    assert "gc/collections/2" in run.stats  # the collector's pace (crawler/memory.py) ran
    assert run.politeness  # the politeness summary rides along
    assert (tmp_path / "data/schedule/radio/crawl.log").stat().st_size > 0

    listing = run_cli("schedule", "list", "-f", str(path)).check().stdout
    assert "ok (finished, 20 sets)" in listing and "03:00" in listing
    assert "Nothing due." in run_cli("schedule", "run", "-f", str(path)).check().stdout
    assert len(runs(tmp_path)) == 1

    # the second run (forced) is incremental: every page answered 304
    run_cli("schedule", "run", "--force", "radio", "-f", str(path)).check()
    second = runs(tmp_path)[-1]
    assert second.stats.get("incremental/not_modified", 0) >= 20
    assert "store/created" not in second.stats


def test_a_crawl_never_overlaps_itself(tmp_path: Path, site: ChangingSite) -> None:
    path = schedule_file(tmp_path, site)
    # a live process holds the lock, as a running crawl would
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "crawler"])
    try:
        from crawler.incremental.book import utcnow
        from crawler.schedule.lock import try_lock

        factory = session_factory(f"sqlite:///{tmp_path}/crawler.db")
        assert try_lock(factory, "radio", utcnow(), pid=holder.pid) is not None
        result = run_cli("schedule", "run", "--force", "-f", str(path)).check()
        assert "already running" in result.stderr
        assert runs(tmp_path) == []
        assert f"running (pid {holder.pid}" in run_cli("schedule", "list", "-f", str(path)).stdout
    finally:
        holder.kill()
        holder.wait()
    # its holder gone, the lock is stale: the next run takes it
    assert "radio: ok (finished" in run_cli("schedule", "run", "-f", str(path)).check().stdout


def test_a_killed_crawl_is_recorded_by_the_runner(tmp_path: Path, site: ChangingSite) -> None:
    path = schedule_file(tmp_path, site)
    with path.open("a") as f:  # a spider that does not exist: the crawl process fails
        f.write('[crawls.broken]\nspider = "nope"\ncron = "0 3 * * *"\n')
    result = run_cli("schedule", "run", "broken", "-f", str(path))
    assert result.returncode == 1
    [run] = runs(tmp_path)
    assert run.name == "broken" and run.finish_reason.startswith("died (exit code")
    assert run.outcome == "failed"
    assert run_cli("schedule", "list", "-f", str(path)).returncode == 1


def test_forever_runs_what_is_due_and_stops_on_sigterm(tmp_path: Path, site: ChangingSite) -> None:
    path = schedule_file(tmp_path, site, cron="0 3 * * *")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "schedule", "run", "--forever", "--tick", "0.5",
         "-f", str(path)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    marker = tmp_path / "data/schedule/radio/job/crawl-state.json"
    deadline = time.monotonic() + 60
    while '"closed"' not in (marker.read_text() if marker.exists() else ""):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    time.sleep(2)  # a few more ticks: nothing else is due
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert [r.finish_reason for r in runs(tmp_path)] == ["finished"]
    assert "radio: ok (finished" in out
