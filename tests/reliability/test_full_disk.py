"""A disk that fills up under the store, the spool or a feed: the crawl says so, loses nothing.

Each test mounts a small tmpfs of its own (root only; skipped elsewhere, failed under
CRAWLER_REQUIRE_SERVICES=1), fills it, and crawls a loopback site of 300 sets into it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.store.db import create_store_engine, upgrade
from tests.conftest import run_scrapy
from tests.incremental.conftest import FAST, stat
from tests.incremental.site import ChangingSite
from tests.reliability.disk import fill, small_disk

PAGES = 300
TRACKS = 8  # every set of the ChangingSite has eight tracks


@pytest.fixture
def site() -> Iterator[ChangingSite]:
    with ChangingSite("127.123.1.1", pages=PAGES) as s:
        yield s


def _make_store(database: str) -> None:
    engine = create_store_engine(database)
    upgrade(engine)
    engine.dispose()


def _crawl(site: ChangingSite, database: str, spool: Path, *extra: str) -> tuple[int, str]:
    result = run_scrapy("crawl", "sets", "-a", f"start_urls={site.url('/')}",
                        "-s", f"DATABASE_URL={database}", "-s", f"SPOOL_DIR={spool}",
                        *FAST, *extra, timeout=180)  # fmt: skip
    return result.returncode, result.stderr


def stored_sets(path: Path) -> dict[str, int]:
    """url -> number of track entries, for every stored set (a url twice would be a key
    clash: counted by the assertion on the row count)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT s.url, count(e.id) FROM sets s LEFT JOIN set_entries e ON e.set_id = s.id"
            " GROUP BY s.id"
        ).fetchall()
    assert len({url for url, _ in rows}) == len(rows)
    return dict(rows)


def test_a_full_disk_under_store_and_spool_fails_the_crawl_and_the_rerun_stores_every_set(
    site: ChangingSite, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", "16m") as disk:
        database, spool = f"sqlite:///{disk}/crawler.db", disk / "spool"  # the default layout
        _make_store(database)
        filler = fill(disk, leave=400_000)
        code, log = _crawl(site, database, spool)
        assert code == 1, log[-3000:]
        errors = [line for line in log.splitlines() if "Sets could neither be stored in" in line]
        assert len(errors) == 1, log[-3000:]
        assert "No space left on device" in errors[0]
        assert "Crawl failed — sets could neither be stored nor kept in the spool" in log
        first = stored_sets(disk / "crawler.db")
        assert len(first) < PAGES and stat(log, "store/lost") > 0

        filler.unlink()  # space again: one rerun stores every set, none twice, all tracks
        code, log = _crawl(site, database, spool)
        assert code == 0, log[-3000:]
        stored = stored_sets(disk / "crawler.db")
        assert len(stored) == PAGES, log[-3000:]
        assert set(stored.values()) == {TRACKS}
        assert not list(spool.rglob("*.jsonl"))


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_feed_that_could_not_be_written_fails_the_crawl_and_names_the_feed(
    site: ChangingSite, tmp_path: Path, fmt: str
) -> None:
    with small_disk(tmp_path / "disk", "1m") as disk:
        database, feed = f"sqlite:///{tmp_path}/crawler.db", disk / f"sets.{fmt}"
        fill(disk, leave=24_000)  # a few dozen sets' worth: the store is elsewhere, fine
        code, log = _crawl(site, database, tmp_path / "spool", "-O", str(feed))
        assert code == 1, log[-3000:]
        named = [line for line in log.splitlines() if f"The feed {feed}" in line]
        assert len(named) == 1 and "could not be written" in named[0], log[-3000:]
        assert "Crawl failed — a feed could not be written" in log
        assert len(stored_sets(tmp_path / "crawler.db")) == PAGES  # the store is fine
