"""Daily quotas counted in Redis: one counter per site and UTC day, shared by every worker.

A count is taken with one Lua script (read, compare with the limit, increment), so two
workers never pass the limit together. Counters expire two days after their day began.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis.asyncio

    from crawler.cluster.keys import SharedKeys

__all__ = ["RedisQuotaCounter"]

_TAKE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return -1 end
used = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return used
"""
_TTL = 2 * 24 * 3600


class RedisQuotaCounter:
    def __init__(self, connection: Callable[[], redis.asyncio.Redis], keys: SharedKeys) -> None:
        self._connection = connection
        self.keys = keys

    async def used(self, domain: str, day: str) -> int:
        value = await self._connection().get(self.keys.quota(domain, day))
        return int(value or 0)

    async def take(self, domain: str, day: str, limit: int) -> int | None:
        script = self._connection().register_script(_TAKE)
        used = int(await script(keys=[self.keys.quota(domain, day)], args=[limit, _TTL]))
        return None if used < 0 else used
