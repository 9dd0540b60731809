"""robots.txt verdicts shared through Redis: one worker fetches a host's robots.txt, every
worker obeys it (and its Crawl-delay) from then on, for as long as it may be cached.

One fetch per host for the whole cluster: a worker that finds no verdict claims the fetch
(``SET NX`` with a time-out) and the others wait for the verdict it saves, instead of
sending a second robots.txt request to a host that has just had one (measured at 1,000
hosts with two workers: one host in 40 got a second robots.txt a second after the first).
Only good verdicts are shared (a parsed file, or "unavailable: all allowed"); an
unreachable robots.txt is retried by each worker on its own back-off, as
``crawler.politeness.robots`` does. Verdicts are pickled (Protego's parser included), so,
as for the queued requests, the Redis server must be trusted.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import uuid
from typing import TYPE_CHECKING

import redis

from crawler.politeness.robots_rules import RobotsFile

if TYPE_CHECKING:
    import redis.asyncio

    from crawler.cluster.keys import SharedKeys

__all__ = ["RedisRobotsStore"]

logger = logging.getLogger(__name__)

FETCH_CLAIM_S = 90.0
"""How long a worker's claim to fetch a robots.txt holds (a fetch waits for its host's turn
and may take ``DOWNLOAD_TIMEOUT``): past it, a worker that died fetching is replaced."""
_WAIT_POLL_S = (0.05, 0.5)
"""Waiting for another worker's verdict: look after 50 ms, then doubling up to 0.5 s (the
host's next request waits a whole gap after robots.txt anyway)."""


class RedisRobotsStore:
    def __init__(self, client: redis.asyncio.Redis, keys: SharedKeys) -> None:
        self.client = client
        self.keys = keys
        self._token = uuid.uuid4().hex

    async def load_or_claim(self, origin: str) -> tuple[RobotsFile, float] | None:
        """The shared verdict, waiting for it while another worker fetches it; None when
        this worker is to fetch it (it then holds the claim until :meth:`unclaim`)."""
        poll, longest = _WAIT_POLL_S
        while True:
            cached = await self.load(origin)
            if cached is not None:
                return cached
            try:
                claimed = await self.client.set(
                    self.keys.robots_fetch(origin),
                    self._token,
                    nx=True,
                    px=int(FETCH_CLAIM_S * 1000),
                )
            except redis.RedisError as exc:
                logger.warning("Shared robots.txt verdicts unavailable (fetching it): %s", exc)
                return None
            if claimed:
                # Look once more: the fetching worker may have saved its verdict and
                # ended its claim between the look above and this claim.
                cached = await self.load(origin)
                if cached is not None:
                    await self.unclaim(origin)
                return cached
            await asyncio.sleep(poll)
            poll = min(2 * poll, longest)

    async def unclaim(self, origin: str) -> None:
        """This worker's fetch is over (its verdict saved, or not to be shared)."""
        key = self.keys.robots_fetch(origin)
        try:
            if await self.client.get(key) == self._token.encode():
                await self.client.delete(key)
        except redis.RedisError as exc:
            logger.warning("Could not end the robots.txt fetch claim of %s: %s", origin, exc)

    async def load(self, origin: str) -> tuple[RobotsFile, float] | None:
        """The shared verdict for ``origin`` and how many seconds it stays valid, or None."""
        key = self.keys.robots(origin)
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.pttl(key)
                data, ttl_ms = await pipe.execute()
        except redis.RedisError as exc:
            logger.warning("Shared robots.txt verdicts unavailable (fetching it): %s", exc)
            return None
        if data is None or ttl_ms is None or ttl_ms <= 0:
            return None
        try:
            rules = pickle.loads(data)  # the cluster's own Redis, as for requests
        except Exception:
            return None  # written by another version: fetch again
        if not isinstance(rules, RobotsFile):
            return None
        return rules, ttl_ms / 1000.0

    async def save(self, origin: str, rules: RobotsFile, valid_for: float) -> None:
        if rules.kind == "disallow_all" or valid_for <= 0:
            return
        key, data = self.keys.robots(origin), pickle.dumps(rules)
        try:
            await self.client.set(key, data, px=int(valid_for * 1000))
        except redis.RedisError as exc:
            logger.warning("Could not share the robots.txt verdict of %s: %s", origin, exc)
