"""The Redis host clock: two clocks stand for two workers on the same Redis."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from crawler.cluster.clock import RedisHostClock, measure_offset
from crawler.cluster.config import ClusterConfig

pytestmark = pytest.mark.redis


def _config(redis_url: str, prefix: str, **overrides: float) -> ClusterConfig:
    values = {
        "redis_url": redis_url,
        "key_prefix": prefix,
        "idle_timeout": 1.0,
        "lease_timeout": 2.0,
        "poll_interval": 0.05,
        "clock_margin": 0.001,
        "clock_ttl": 60.0,
    }
    return ClusterConfig(**{**values, **overrides})  # type: ignore[arg-type]


def test_offset_is_measured_to_within_the_round_trip(client):
    offset, uncertainty = measure_offset(client)
    assert abs(time.monotonic() + offset - time.time()) < 0.05
    assert 0 <= uncertainty < 0.05


def test_two_workers_never_start_a_host_closer_than_its_gap(redis_url, prefix):
    """Interleaved reserve/release from two workers: starts spaced by the gap, counted
    from the previous answer, and what each worker waits for never shortens it."""
    gap = 0.05

    async def worker(clock: RedisHostClock, sent: list[float]) -> None:
        for _ in range(6):
            start = await clock.reserve("h.example", gap)
            await asyncio.sleep(max(0.0, start - clock.now()))
            sent.append(clock.now())
            await asyncio.sleep(0.005)  # the request on the wire
            await clock.release("h.example", sent[-1], clock.now())

    async def main() -> list[float]:
        a = RedisHostClock(_config(redis_url, prefix))
        b = RedisHostClock(_config(redis_url, prefix))
        sent: list[float] = []
        try:
            await asyncio.gather(worker(a, sent), worker(b, sent))
        finally:
            await a.close()
            await b.close()
        return sorted(sent)

    sent = asyncio.run(main())
    gaps = [y - x for x, y in itertools.pairwise(sent)]
    assert len(sent) == 12
    assert min(gaps) >= gap + 0.005  # from the previous answer, not only its start


def test_a_worker_holding_a_host_makes_the_other_wait_for_its_answer(redis_url, prefix):
    async def main() -> tuple[float, float]:
        a = RedisHostClock(_config(redis_url, prefix))
        b = RedisHostClock(_config(redis_url, prefix))
        try:
            start = await a.reserve("slow.example", 0.01)

            async def answer_late() -> float:
                await asyncio.sleep(0.3)  # a slow response
                done = a.now()
                await a.release("slow.example", start, done)
                return done

            done, b_start = await asyncio.gather(answer_late(), b.reserve("slow.example", 0.01))
            return done, b_start
        finally:
            await a.close()
            await b.close()

    began = time.monotonic()
    done, b_start = asyncio.run(main())
    assert b_start >= done + 0.01
    assert time.monotonic() - began < 1.5  # freed by the release, not by the hold running out


def test_a_dead_workers_hold_runs_out_after_the_lease_timeout(redis_url, prefix):
    async def main() -> float:
        a = RedisHostClock(_config(redis_url, prefix, lease_timeout=1.0))
        b = RedisHostClock(_config(redis_url, prefix, lease_timeout=1.0))
        try:
            await a.reserve("gone.example", 0.01)  # and never released: the worker died
            began = time.monotonic()
            await b.reserve("gone.example", 0.01)
            return time.monotonic() - began
        finally:
            await a.close()
            await b.close()

    waited = asyncio.run(main())
    assert 0.8 <= waited < 3.0


def test_a_pause_set_by_one_worker_holds_for_the_other(redis_url, prefix):
    async def main() -> tuple[float, float, float]:
        a = RedisHostClock(_config(redis_url, prefix))
        b = RedisHostClock(_config(redis_url, prefix))
        try:
            until = a.now() + 0.4  # a 429 with Retry-After seen by worker a
            await a.pause("busy.example", until)
            return until, await b.paused_until("busy.example"), await b.reserve("busy.example", 0)
        finally:
            await a.close()
            await b.close()

    until, seen, start = asyncio.run(main())
    assert seen == pytest.approx(until, abs=1e-5)
    assert start >= until - 1e-6  # stored to the microsecond


def test_a_worker_without_the_hosts_rate_never_goes_faster(redis_url, prefix):
    """Worker a knows the Crawl-delay (2 s); worker b, not yet, uses a shorter default."""

    async def main() -> tuple[float, float]:
        a = RedisHostClock(_config(redis_url, prefix))
        b = RedisHostClock(_config(redis_url, prefix))
        try:
            first = await a.reserve("strict.example", 2.0)
            await a.release("strict.example", first, first)
            return first, await b.reserve("strict.example", 0.1)
        finally:
            await a.close()
            await b.close()

    first, second = asyncio.run(main())
    assert second - first >= 2.0


def test_a_closing_worker_lets_go_of_the_hosts_it_holds(redis_url, prefix):
    async def main() -> float:
        a = RedisHostClock(_config(redis_url, prefix, lease_timeout=30.0))
        b = RedisHostClock(_config(redis_url, prefix, lease_timeout=30.0))
        try:
            await a.reserve("left.example", 0.01)  # refused after reserving: never released
            await a.close()
            began = time.monotonic()
            await b.reserve("left.example", 0.01)
            return time.monotonic() - began
        finally:
            await b.close()

    assert asyncio.run(main()) < 1.0


def test_an_earlier_runs_request_holds_the_host_until_its_next_start(redis_url, prefix):
    """``recall`` (the store's memory of the last run, ``HostMemory``): the next start
    waits for the recalled ``next_at``; an older recall changes nothing, and later starts
    keep their gaps."""

    async def main() -> tuple[float, float, float]:
        a = RedisHostClock(_config(redis_url, prefix))
        b = RedisHostClock(_config(redis_url, prefix))
        try:
            now = a.now()
            await a.recall("h.example", now - 0.2, now - 0.1, now + 0.3)
            first = await a.reserve("h.example", 0.05) - now  # held until next_at
            await b.recall("h.example", now - 5, now - 4, now - 3)  # older: changes nothing
            second = await b.reserve("h.example", 0.05) - now
            await a.release("h.example", now + first, now + first + 0.01)
            third = await b.reserve("h.example", 0.05) - now
        finally:
            await a.close()
            await b.close()
        return first, second, third

    first, second, third = asyncio.run(main())
    assert 0.3 - 0.01 <= first <= 0.3 + 0.05, first
    assert second >= first + 0.05 - 1e-3, (first, second)
    assert third >= second + 0.05 - 1e-3, (second, third)
