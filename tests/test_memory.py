"""The collector's pace: set for the crawl, put back after it, counted in the stats."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy import signals
from scrapy.utils.test import get_crawler

from crawler.memory import CollectorPace


@pytest.fixture(autouse=True)
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's own, whatever the test run set
    yield gc.get_threshold()
    gc.set_threshold(*before)


def _crawl_with(settings: dict[str, object]) -> tuple[CollectorPace, object]:
    crawler = get_crawler(settings_dict=settings)
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return CollectorPace.from_crawler(crawler), crawler


def _run(crawler: object, during: list[tuple[int, int, int]]) -> None:
    send = crawler.signals.send_catch_log  # type: ignore[attr-defined]
    send(signals.engine_started)
    during.append(gc.get_threshold())
    gc.collect()  # a full collection during the crawl: counted
    send(signals.spider_closed, spider=None, reason="finished")
    send(signals.engine_stopped)


def test_the_crawl_collects_less_often_and_the_process_gets_its_pace_back() -> None:
    _pace, crawler = _crawl_with({"GC_THRESHOLD": 50_000})
    during: list[tuple[int, int, int]] = []
    _run(crawler, during)
    assert during == [(50_000, 10, 10)]  # only the youngest generation's changes
    assert gc.get_threshold() == (700, 10, 10)
    stats = crawler.stats.get_stats()  # type: ignore[attr-defined]
    assert stats["gc/collections/2"] >= 1
    assert {"gc/collections/0", "gc/collections/1"} <= stats.keys()


def test_zero_keeps_pythons_pace_and_still_counts() -> None:
    _pace, crawler = _crawl_with({"GC_THRESHOLD": 0})
    during: list[tuple[int, int, int]] = []
    _run(crawler, during)
    assert during == [(700, 10, 10)]
    assert crawler.stats.get_value("gc/collections/2") >= 1  # type: ignore[attr-defined]


def test_a_slower_pace_the_process_chose_is_kept() -> None:
    gc.set_threshold(100_000, 10, 10)
    _pace, crawler = _crawl_with({"GC_THRESHOLD": 50_000})
    during: list[tuple[int, int, int]] = []
    _run(crawler, during)
    assert during == [(100_000, 10, 10)]
    assert gc.get_threshold() == (100_000, 10, 10)


def test_the_project_switches_it_on() -> None:
    from crawler.addons import TRACKLISTS_COMPONENTS, TRACKLISTS_SETTINGS

    assert "crawler.memory.CollectorPace" in TRACKLISTS_COMPONENTS["EXTENSIONS"]
    assert "GC_THRESHOLD" in TRACKLISTS_SETTINGS
