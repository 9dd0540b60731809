"""Daily quotas in Redis: every worker's clock counts against one limit per site and day."""

from __future__ import annotations

import asyncio

import redis

from crawler.cluster.clock import RedisHostClock
from tests.cluster.test_clock import _config


def test_two_workers_share_one_daily_count(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    async def scenario() -> list[int | None]:
        clocks = [RedisHostClock(_config(redis_url, prefix)) for _ in range(2)]
        a, b = (clock.daily_counter() for clock in clocks)
        taken = await asyncio.gather(*[c.take("api.setlist.fm", "2026-12-06", 5)
                                       for c in (a, b) * 4])  # fmt: skip
        assert await a.used("api.setlist.fm", "2026-12-06") == 5
        assert await b.used("api.setlist.fm", "2026-12-07") == 0  # a new day starts at 0
        for clock in clocks:
            await clock.close()
        return list(taken)

    taken = asyncio.run(scenario())
    assert sorted(t for t in taken if t is not None) == [1, 2, 3, 4, 5]
    assert taken.count(None) == 3
    ttl = client.ttl(f"{prefix}:quota:api.setlist.fm:2026-12-06")
    assert 0 < ttl <= 2 * 24 * 3600
