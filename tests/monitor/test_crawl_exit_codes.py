"""``scrapy crawl`` against loopback sites: the outcome in the exit code, the row, the log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CrawlResult, run_scrapy
from tests.monitor.site import MixesSite, refusing_port

FAST = (
    "ALLOW_PRIVATE_HOSTS=True",
    "CRAWL_DELAY_DEFAULT=0.01",
    "ROBOTSTXT_RETRY_TIMES=0",
    "ROBOTSTXT_RETRY_DELAY=0.05",
    "PACE_BACKOFF_START=0.01",
    "RETRY_TIMES=0",
    "LOG_LEVEL=INFO",
)


def crawl(url: str, db: Path, *settings: str) -> CrawlResult:
    args = ["crawl", "sets", "-a", f"start_urls={url}", "-a", "sitemaps=0"]
    for setting in (*FAST, f"DATABASE_URL=sqlite:///{db}", *settings):
        args += ["-s", setting]
    return run_scrapy(*args)


def outcomes(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT outcome FROM crawl_runs ORDER BY id")]


@pytest.fixture
def site() -> Iterator[MixesSite]:
    with MixesSite("127.0.0.31") as s:
        yield s


def test_a_working_site_is_ok(tmp_path: Path, site: MixesSite) -> None:
    result = crawl(site.url("/"), tmp_path / "c.db")
    assert result.returncode == 0, result.stderr[-3000:]
    assert outcomes(tmp_path / "c.db") == ["ok"]
    # the index, 12 set pages and the set pages' category links (404); not the site's
    # policy files (robots.txt, tdmrep.json)
    assert "Crawl ok: 17 pages fetched (0 not modified), sets 12 new" in result.stderr
    assert "markup may have changed" not in result.stderr


def test_a_port_that_refuses_connections_fails(tmp_path: Path) -> None:
    url = f"http://127.0.0.32:{refusing_port('127.0.0.32')}/"
    result = crawl(url, tmp_path / "c.db")
    assert result.returncode == 1, result.stderr[-3000:]
    assert outcomes(tmp_path / "c.db") == ["failed"]
    assert "'finish_reason': 'finished'" in result.stderr  # Scrapy's reason stays its own
    assert "Crawl failed — nothing was fetched or read" in result.stderr


def test_every_request_failing_without_robots_fails(tmp_path: Path) -> None:
    url = f"http://127.0.0.33:{refusing_port('127.0.0.33')}/"
    result = crawl(url, tmp_path / "c.db", "ROBOTSTXT_OBEY=False")
    assert result.returncode == 1, result.stderr[-3000:]
    assert outcomes(tmp_path / "c.db") == ["failed"]
    assert "'crawl/pages/failed': 1" in result.stderr


def test_robots_saying_no_to_everything_is_refused(tmp_path: Path) -> None:
    with MixesSite("127.0.0.34", disallow=True) as site:
        result = crawl(site.url("/"), tmp_path / "c.db")
    assert result.returncode == 4, result.stderr[-3000:]
    assert outcomes(tmp_path / "c.db") == ["refused"]


def test_some_pages_failing_is_partial(tmp_path: Path, site: MixesSite) -> None:
    site.failing = {3, 7}
    result = crawl(site.url("/"), tmp_path / "c.db")
    assert result.returncode == 3, result.stderr[-3000:]
    assert outcomes(tmp_path / "c.db") == ["partial"]
    assert "'crawl/pages/failed/500': 2" in result.stderr


def test_the_alarm_fires_when_the_layout_changes(tmp_path: Path, site: MixesSite) -> None:
    db = tmp_path / "c.db"
    assert crawl(site.url("/"), db).returncode == 0
    # an unchanged site, parsed again in full: every expected page gave its set, no alarm
    again = crawl(site.url("/"), db, "INCREMENTAL_ENABLED=False")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "'extraction/pages/127.0.0.31': 12" in again.stderr
    assert "extraction/empty" not in again.stderr
    assert "markup may have changed" not in again.stderr

    site.changed = True
    result = crawl(site.url("/"), db, "INCREMENTAL_ENABLED=False")
    assert result.returncode == 3, result.stderr[-3000:]
    assert outcomes(db) == ["ok", "ok", "partial"]
    assert (
        "127.0.0.31: 12 of 12 set pages gave no tracklist — the site's markup may have changed"
        in result.stderr
    )
    assert "Crawl partial — a site's set pages gave no tracklist" in result.stderr


def test_an_unreachable_store_fails(site: MixesSite) -> None:
    store = f"postgresql+psycopg://postgres@127.0.0.1:{refusing_port()}/crawler"
    args = ["crawl", "sets", "-a", f"start_urls={site.url('/')}", "-a", "sitemaps=0"]
    for setting in (*FAST, f"DATABASE_URL={store}"):
        args += ["-s", setting]
    result = run_scrapy(*args)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Nothing was crawled." in result.stderr  # the crawl command checks the store first
