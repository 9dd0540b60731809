"""Daily counts and last requests in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from crawler.store import session_factory
from crawler.store.host_pace import (
    last_request,
    last_requests,
    note_last_request,
    note_last_requests,
    quota_used,
    take_quota,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return str(request.getfixturevalue("postgres_url"))


def _take(url: str) -> int | None:
    with session_factory(url).begin() as session:
        return take_quota(session, "api.setlist.fm", "2026-12-06", 5)


def test_a_count_never_passes_its_limit_even_from_threads(store_url: str) -> None:
    _take(store_url)  # the row exists: concurrent takes race on the UPDATE alone
    with ThreadPoolExecutor(4) as pool:
        taken = list(pool.map(lambda _: _take(store_url), range(8)))
    assert sorted(t for t in taken if t is not None) == [2, 3, 4, 5]
    with session_factory(store_url)() as session:
        assert quota_used(session, "api.setlist.fm", "2026-12-06") == 5
        assert quota_used(session, "api.setlist.fm", "2026-12-07") == 0


def test_the_last_request_keeps_the_later_times(store_url: str) -> None:
    with session_factory(store_url).begin() as session:
        note_last_request(session, "api.kexp.org", 100.0, 100.5)
    with session_factory(store_url).begin() as session:
        note_last_request(session, "api.kexp.org", 90.0, 101.0)
    with session_factory(store_url)() as session:
        assert last_request(session, "api.kexp.org") == (100.0, 101.0, 0.0)
        assert last_request(session, "other.example") is None


def test_many_hosts_noted_at_once_keep_the_later_times(store_url: str) -> None:
    with session_factory(store_url).begin() as session:
        note_last_requests(
            session, {"a.example": (10.0, 11.0, 14.0), "b.example": (20.0, 21.0, 21.0)}
        )
    with session_factory(store_url).begin() as session:
        note_last_requests(session, {"a.example": (12.0, 10.5, 13.0), "c.example": (5.0, 6.0, 9.0)})
    with session_factory(store_url)() as session:
        assert last_request(session, "a.example") == (12.0, 11.0, 14.0)
        assert last_request(session, "b.example") == (20.0, 21.0, 21.0)
        assert last_request(session, "c.example") == (5.0, 6.0, 9.0)


def test_all_last_requests_at_once_up_to_a_limit(store_url: str) -> None:
    with session_factory(store_url).begin() as session:
        assert last_requests(session, 2) == {}
        note_last_requests(session, {"a.example": (1.0, 2.0, 3.0), "b.example": (3.0, 4.0, 5.0)})
    with session_factory(store_url)() as session:
        assert last_requests(session, 2) == {
            "a.example": (1.0, 2.0, 3.0),
            "b.example": (3.0, 4.0, 5.0),
        }
        assert last_requests(session, 1) is None  # more hosts than asked for: one by one


def test_the_next_run_is_held_by_the_gap_the_host_asked_for_up_to_the_cap(store_url: str) -> None:
    """HostMemory keeps the earliest start of a host's next request (its last answer plus
    the gap it asked for, at most CRAWL_DELAY_MAX: a host asking for more is left out once
    its robots.txt is read) and the next run's clock is held until then."""
    from crawler.politeness.clock import LocalHostClock
    from crawler.politeness.host_memory import HostMemory

    first = HostMemory(store_url, LocalHostClock(), gap_max=30.0)
    now, noted = first.clock.now(), time.time()  # the answers came 0.5 s before this
    first.note("polite.example", now - 1.0, now - 0.5, gap=4.0)
    first.note("greedy.example", now - 1.0, now - 0.5, gap=3600.0)
    first.flush()
    with session_factory(store_url)() as session:
        for host, gap in (("polite.example", 4.0), ("greedy.example", 30.0)):  # capped
            found = last_request(session, host)
            assert found is not None and found[2] - found[1] == pytest.approx(gap, abs=0.01)

    async def next_run() -> dict[str, float]:
        clock = LocalHostClock()
        memory = HostMemory(store_url, clock, gap_max=30.0)
        held = {}
        for host in ("polite.example", "greedy.example", "unknown.example"):
            await memory.recall(host)
            paused = await clock.paused_until(host)
            # how long the host is held, counted from when the last run noted its answer
            held[host] = paused and paused - clock.now() + (time.time() - noted)
        return held

    held = asyncio.run(next_run())
    assert held["polite.example"] == pytest.approx(3.5, abs=0.05)
    assert held["greedy.example"] == pytest.approx(29.5, abs=0.05)
    assert held["unknown.example"] == 0.0
