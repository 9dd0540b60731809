"""robots.txt verdicts and tdmrep.json entries shared through Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio

from crawler.cluster.keys import SharedKeys
from crawler.cluster.robots import RedisRobotsStore, RedisTdmRepStore
from crawler.politeness.robots_rules import allow_all, disallow_all, parse_robots

pytestmark = pytest.mark.redis

ORIGIN = "http://127.0.0.9:8080"


def _run(redis_url: str, prefix: str, steps: Callable[[RedisRobotsStore], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        client = redis.asyncio.Redis.from_url(redis_url)
        try:
            return await steps(RedisRobotsStore(client, SharedKeys(prefix)))
        finally:
            await client.aclose()

    return asyncio.run(main())


def test_a_verdict_saved_by_one_worker_is_read_by_another(redis_url, prefix):
    body = b"User-agent: *\nCrawl-delay: 0.7\nDisallow: /private\n"

    async def steps(store: RedisRobotsStore) -> Any:
        await store.save(ORIGIN, parse_robots(body), valid_for=60)
        return await store.load(ORIGIN)

    loaded = _run(redis_url, prefix, steps)
    assert loaded is not None
    rules, valid_for = loaded
    assert 59 < valid_for <= 60
    assert rules.crawl_delay("AnyBot") == 0.7
    assert not rules.allowed(f"{ORIGIN}/private/x", "AnyBot")
    assert rules.allowed(f"{ORIGIN}/sets/1", "AnyBot")


def test_only_good_verdicts_are_shared_and_they_expire(redis_url, prefix):
    async def steps(store: RedisRobotsStore) -> Any:
        await store.save(ORIGIN, disallow_all("HTTP 503"), valid_for=60)
        unreachable = await store.load(ORIGIN)
        await store.save(ORIGIN, allow_all("HTTP 404: unavailable, all allowed"), valid_for=0.2)
        fresh = await store.load(ORIGIN)
        await asyncio.sleep(0.3)
        return unreachable, fresh, await store.load(ORIGIN)

    unreachable, fresh, expired = _run(redis_url, prefix, steps)
    assert unreachable is None  # each worker retries an unreachable robots.txt itself
    assert fresh is not None and fresh[0].kind == "allow_all"
    assert expired is None


def test_garbage_under_the_key_means_fetch_again(redis_url, prefix, client):
    client.set(SharedKeys(prefix).verdict("robots", ORIGIN), b"not a pickle", px=60_000)

    async def steps(store: RedisRobotsStore) -> Any:
        return await store.load(ORIGIN)

    assert _run(redis_url, prefix, steps) is None


def test_one_worker_fetches_while_the_others_wait_for_its_verdict(redis_url, prefix):
    body = b"User-agent: *\nCrawl-delay: 2\n"

    async def steps(first: RedisRobotsStore) -> Any:
        second = RedisRobotsStore(first.client, first.keys)  # another worker: its own token
        claimed = await first.load_or_claim(ORIGIN)  # None: the first one fetches
        waiting = asyncio.ensure_future(second.load_or_claim(ORIGIN))
        await asyncio.sleep(0.3)
        still_waiting = not waiting.done()
        await first.save(ORIGIN, parse_robots(body), valid_for=60)
        await first.unclaim(ORIGIN)
        return claimed, still_waiting, await asyncio.wait_for(waiting, 5)

    claimed, still_waiting, verdict = _run(redis_url, prefix, steps)
    assert claimed is None
    assert still_waiting  # no second robots.txt request while the first is under way
    assert verdict is not None and verdict[0].crawl_delay("AnyBot") == 2


def test_a_fetch_that_gave_no_verdict_hands_the_claim_on(redis_url, prefix):
    async def steps(first: RedisRobotsStore) -> Any:
        second = RedisRobotsStore(first.client, first.keys)
        await first.load_or_claim(ORIGIN)
        waiting = asyncio.ensure_future(second.load_or_claim(ORIGIN))
        await asyncio.sleep(0.1)
        await second.unclaim(ORIGIN)  # not its claim: nothing happens
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await first.save(ORIGIN, disallow_all("HTTP 503"), valid_for=60)  # not shared
        await first.unclaim(ORIGIN)
        return await asyncio.wait_for(waiting, 5)

    assert _run(redis_url, prefix, steps) is None  # the second now fetches it itself


def test_a_verdict_saved_between_a_look_and_a_claim_is_not_fetched_again(redis_url, prefix):
    """The fetching worker saves and ends its claim just after another one looked and found
    nothing: that one's claim then succeeds, and it must take the verdict, not fetch again."""
    body = b"User-agent: *\nCrawl-delay: 2\n"

    async def steps(first: RedisRobotsStore) -> Any:
        second = RedisRobotsStore(first.client, first.keys)
        assert await first.load_or_claim(ORIGIN) is None  # the first one fetches
        looks = 0
        real_load = second._load

        async def load_then_first_finishes(origin: str) -> Any:
            nonlocal looks
            looks += 1
            found = await real_load(origin)
            if looks == 1:  # the interleaving: the first worker finishes right now
                await first.save(origin, parse_robots(body), valid_for=60)
                await first.unclaim(origin)
            return found

        second._load = load_then_first_finishes  # type: ignore[method-assign]
        got = await second.load_or_claim(ORIGIN)
        claim_left = await first.client.exists(first.keys.fetch_claim("robots", ORIGIN))
        return looks, got, claim_left

    looks, got, claim_left = _run(redis_url, prefix, steps)
    assert looks == 2
    assert got is not None and got[0].crawl_delay("AnyBot") == 2
    assert claim_left == 0  # the claim taken for nothing is given back


def test_tdmrep_entries_are_fetched_once_for_the_cluster(redis_url, prefix):
    """The entries of one worker's tdmrep.json (``[]`` for a 404 too) are every worker's;
    a file that could not be had is not shared, and robots.txt keys are not touched."""
    entries = [("/sets/*", True)]

    async def steps(robots: RedisRobotsStore) -> Any:
        first = RedisTdmRepStore(robots.client, robots.keys)
        second = RedisTdmRepStore(robots.client, robots.keys)
        claimed = await first.load_or_claim(ORIGIN)
        waiting = asyncio.ensure_future(second.load_or_claim(ORIGIN))
        await asyncio.sleep(0.3)
        still_waiting = not waiting.done()
        await first.save(ORIGIN, entries, valid_for=60)
        await first.unclaim(ORIGIN)
        got = await asyncio.wait_for(waiting, 5)
        other = "http://127.0.0.9:8081"
        await first.load_or_claim(other)
        await first.save(other, [], valid_for=60)  # a 404: no reservation, shared
        await first.unclaim(other)
        return (
            claimed,
            still_waiting,
            got,
            await second.load_or_claim(other),
            await robots.load(ORIGIN),
        )

    claimed, still_waiting, got, none_found, robots = _run(redis_url, prefix, steps)
    assert claimed is None and still_waiting
    assert got == entries
    assert none_found == []
    assert robots is None
