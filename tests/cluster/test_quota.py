"""Daily quotas in Redis: every worker's clock counts against one limit per site and day."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis

from crawler.cluster.clock import RedisHostClock
from crawler.politeness.quota import utc_day
from tests.cluster.test_clock import _config
from tests.setlistfm.server import PHISH, SetlistFmSite
from tests.setlistfm.test_spider import HOST, crawl


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


def test_a_cluster_crawl_counts_its_quota_in_redis(
    redis_url: str, prefix: str, client: redis.Redis, tmp_path: Path
) -> None:
    """Two runs on the cluster (REDIS_URL): the limit of 5 is counted in Redis, beside the
    shared clock, and the second run sends nothing."""
    with SetlistFmSite(HOST, per_page=5) as api:
        args = ("-a", f"artist={PHISH}", "-s", f"REDIS_URL={redis_url}",
                "-s", f"CLUSTER_KEY_PREFIX={prefix}", "-s", "IDLE_TIMEOUT=1")  # fmt: skip
        # two crawls (each its own frontier), one site: one count
        first = crawl(api, tmp_path, *args, "-s", "CLUSTER_CRAWL=first", extra="daily_limit = 5\n")
        assert first.returncode == 3 and len(api.requests()) == 5
        second = crawl(
            api, tmp_path, *args, "-s", "CLUSTER_CRAWL=second", extra="daily_limit = 5\n"
        )
        assert second.returncode == 3 and len(api.requests()) == 5
        assert f"{HOST}: 0 of 5 requests left today" in second.stderr
    assert client.get(f"{prefix}:quota:{HOST}:{utc_day()}") == b"5"
