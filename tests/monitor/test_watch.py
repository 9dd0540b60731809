"""The extraction watch on saved MixesDB pages, as a spider middleware built by Scrapy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.monitor.outcome import Outcome, crawl_outcome
from crawler.monitor.watch import ExtractionWatch, expects_set, has_site_class
from crawler.render.decision import RENDER_META
from crawler.sites import extract_sets
from tests.conftest import FIXTURES

ORIGINAL = (FIXTURES / "mixesdb/jeff_mills_liquid_room.html").read_bytes()
CHANGED = (FIXTURES / "layout_changed/mixesdb_jeff_mills_liquid_room.html").read_bytes()


@pytest.mark.parametrize(
    ("host", "own_class"),
    [("www.mixesdb.com", True), ("mixesdb.com", True), ("www.1001tracklists.com", True),
     ("radio.example", False), ("127.0.0.1", False)],
)  # fmt: skip
def test_hosts_with_a_site_class(host: str, own_class: bool) -> None:
    assert has_site_class(host) is own_class
    assert expects_set(host, yielded_before=False) is own_class
    assert expects_set(host, yielded_before=True)


def _watch(tmp_path: Path) -> tuple[ExtractionWatch, Any]:
    crawler = get_crawler(
        settings_dict={
            "EXTRACTION_ALERT_MIN_PAGES": 10,
            "DATABASE_URL": f"sqlite:///{tmp_path}/c.db",
        }
    )
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return ExtractionWatch.from_crawler(crawler), crawler.stats


async def _run(watch: ExtractionWatch, url: str, body: bytes, extra: list[Any]) -> list[Any]:
    response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html"})

    async def output() -> AsyncIterator[Any]:
        for item in [*extract_sets(url, body), *extra]:
            yield item

    return [x async for x in watch.process_spider_output(response, output())]


def test_37_of_40_set_pages_without_a_tracklist(tmp_path: Path) -> None:
    watch, stats = _watch(tmp_path)

    async def crawl() -> None:
        for i in range(40):
            body = ORIGINAL if i < 3 else CHANGED
            await _run(watch, f"https://www.mixesdb.com/w/Set_{i}", body, [])

    asyncio.run(crawl())
    values = stats.get_stats()
    assert values["extraction/pages/mixesdb.com"] == 40
    assert values["extraction/empty/mixesdb.com"] == 37
    verdict = crawl_outcome({**values, "crawl/pages/fetched": 40, "store/created": 3})
    assert verdict.outcome is Outcome.PARTIAL
    assert [a.message for a in verdict.figures.alarms] == [
        "mixesdb.com: 37 of 40 set pages gave no tracklist — the site's markup may have changed"
    ]


def test_pages_of_other_sites_without_history_are_not_expected(tmp_path: Path) -> None:
    watch, stats = _watch(tmp_path)
    asyncio.run(_run(watch, "https://radio.example/shows/1", CHANGED, []))
    assert not [k for k in stats.get_stats() if k.startswith("extraction/")]


def test_a_page_sent_to_the_browser_is_judged_when_rendered(tmp_path: Path) -> None:
    watch, stats = _watch(tmp_path)
    url = "https://www.mixesdb.com/w/Set_1"
    rendered = Request(url, meta={RENDER_META: True})
    asyncio.run(_run(watch, url, CHANGED, [rendered]))
    assert "extraction/pages/mixesdb.com" not in stats.get_stats()


def test_pages_that_gave_a_set_before_are_expected_read_in_one_query(tmp_path: Path) -> None:
    """The stored sets of every origin are read at once (not one query per host of a
    crawl of many hosts); a page that gave a set before and gives none now is empty."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from crawler.store import session_factory, store_set
    from crawler.store.db import create_store_engine, upgrade
    from tests.store.test_repository import NOW, make_set

    database = f"sqlite:///{tmp_path}/c.db"
    engine = create_store_engine(database)
    upgrade(engine)
    engine.dispose()
    urls = ["https://radio.example/shows/1", "https://club.example/nights/7#set"]
    with session_factory(database).begin() as session:
        for url in urls:
            store_set(session, make_set(url), NOW)
    watch, stats = _watch(tmp_path)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:

        async def crawl() -> None:
            for url in [*urls, "https://radio.example/shows/2", "https://other.example/"]:
                await _run(watch, url, CHANGED, [])

        asyncio.run(crawl())
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    values = stats.get_stats()
    assert values["extraction/empty/radio.example"] == 1
    assert values["extraction/empty/club.example"] == 1
    assert "extraction/pages/other.example" not in values
    assert len([s for s in statements if "FROM sets" in s]) == 1
