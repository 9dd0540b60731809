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

tdmrep.json is shared the same way (:class:`RedisTdmRepStore`): each worker used to fetch
it for the hosts whose pages it handled first, and two workers could ask a host for it
within one pace gap.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import uuid
from typing import TYPE_CHECKING, cast

import redis

from crawler.politeness.robots_rules import RobotsFile

if TYPE_CHECKING:
    import redis.asyncio

    from crawler.cluster.keys import SharedKeys

__all__ = ["RedisRobotsStore", "RedisTdmRepStore"]

logger = logging.getLogger(__name__)

FETCH_CLAIM_S = 90.0
"""How long a worker's claim to fetch a robots.txt holds (a fetch waits for its host's turn
and may take ``DOWNLOAD_TIMEOUT``): past it, a worker that died fetching is replaced."""
_WAIT_POLL_S = (0.05, 0.5)
"""Waiting for another worker's verdict: look after 50 ms, then doubling up to 0.5 s (the
host's next request waits a whole gap after robots.txt anyway)."""


class _SharedFetch:
    """One fetch of an origin's policy file for the whole cluster: the value its fetch
    gave, kept under ``<prefix>:<kind>:<origin>`` while it may be cached, and the claim
    of the worker fetching it under ``<prefix>:<kind>-fetch:<origin>``."""

    kind = ""

    def __init__(self, client: redis.asyncio.Redis, keys: SharedKeys) -> None:
        self.client = client
        self.keys = keys
        self._token = uuid.uuid4().hex

    def _valid(self, value: object) -> bool:
        raise NotImplementedError

    async def _load_or_claim(self, origin: str) -> tuple[object, float] | None:
        """The shared value, waiting for it while another worker fetches it; None when
        this worker is to fetch it (it then holds the claim until :meth:`unclaim`)."""
        poll, longest = _WAIT_POLL_S
        while True:
            cached = await self._load(origin)
            if cached is not None:
                return cached
            try:
                claimed = await self.client.set(
                    self.keys.fetch_claim(self.kind, origin),
                    self._token,
                    nx=True,
                    px=int(FETCH_CLAIM_S * 1000),
                )
            except redis.RedisError as exc:
                logger.warning("Shared %s verdicts unavailable (fetching it): %s", self.kind, exc)
                return None
            if claimed:
                # Look once more: the fetching worker may have saved its verdict and
                # ended its claim between the look above and this claim.
                cached = await self._load(origin)
                if cached is not None:
                    await self.unclaim(origin)
                return cached
            await asyncio.sleep(poll)
            poll = min(2 * poll, longest)

    async def unclaim(self, origin: str) -> None:
        """This worker's fetch is over (its verdict saved, or not to be shared)."""
        key = self.keys.fetch_claim(self.kind, origin)
        try:
            if await self.client.get(key) == self._token.encode():
                await self.client.delete(key)
        except redis.RedisError as exc:
            logger.warning("Could not end the %s fetch claim of %s: %s", self.kind, origin, exc)

    async def _load(self, origin: str) -> tuple[object, float] | None:
        key = self.keys.verdict(self.kind, origin)
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.pttl(key)
                data, ttl_ms = await pipe.execute()
        except redis.RedisError as exc:
            logger.warning("Shared %s verdicts unavailable (fetching it): %s", self.kind, exc)
            return None
        if data is None or ttl_ms is None or ttl_ms <= 0:
            return None
        try:
            value = pickle.loads(data)  # the cluster's own Redis, as for requests
        except Exception:
            return None  # written by another version: fetch again
        if not self._valid(value):
            return None
        return value, ttl_ms / 1000.0

    async def _save(self, origin: str, value: object, valid_for: float) -> None:
        if valid_for <= 0:
            return
        key, data = self.keys.verdict(self.kind, origin), pickle.dumps(value)
        try:
            await self.client.set(key, data, px=int(valid_for * 1000))
        except redis.RedisError as exc:
            logger.warning("Could not share the %s verdict of %s: %s", self.kind, origin, exc)


class RedisRobotsStore(_SharedFetch):
    """robots.txt verdicts (``crawler.politeness.robots``)."""

    kind = "robots"

    def _valid(self, value: object) -> bool:
        return isinstance(value, RobotsFile)

    async def load_or_claim(self, origin: str) -> tuple[RobotsFile, float] | None:
        return cast("tuple[RobotsFile, float] | None", await self._load_or_claim(origin))

    async def load(self, origin: str) -> tuple[RobotsFile, float] | None:
        """The shared verdict for ``origin`` and how many seconds it stays valid, or None."""
        return cast("tuple[RobotsFile, float] | None", await self._load(origin))

    async def save(self, origin: str, rules: RobotsFile, valid_for: float) -> None:
        if rules.kind != "disallow_all":
            await self._save(origin, rules, valid_for)


class RedisTdmRepStore(_SharedFetch):
    """tdmrep.json entries (``crawler.politeness.tdm``): its ``(location, reserved)``
    pairs, ``[]`` for none; a file that could not be had is never shared."""

    kind = "tdmrep"

    def _valid(self, value: object) -> bool:
        return isinstance(value, list)

    async def load_or_claim(self, origin: str) -> list[tuple[str, bool]] | None:
        got = await self._load_or_claim(origin)
        return cast("list[tuple[str, bool]]", got[0]) if got is not None else None

    async def save(self, origin: str, entries: list[tuple[str, bool]], valid_for: float) -> None:
        await self._save(origin, entries, valid_for)
