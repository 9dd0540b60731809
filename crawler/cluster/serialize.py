"""Requests to bytes and back, for the shared frontier.

Scrapy's own ``Request.to_dict`` names callbacks by spider method, so any worker running
the same spider can rebuild the request. Pickled like scrapy-redis does (its
``picklecompat``), since ``meta`` may hold any Python value: the Redis server must be
trusted, as with scrapy-redis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.utils.request import request_from_dict
from scrapy_redis import picklecompat

if TYPE_CHECKING:
    from scrapy import Request, Spider

__all__ = ["request_from_bytes", "request_to_bytes"]


def request_to_bytes(request: Request, spider: Spider | None = None) -> bytes:
    data: bytes = picklecompat.dumps(request.to_dict(spider=spider))  # an untyped library
    return data


def request_from_bytes(data: bytes, spider: Spider | None = None) -> Request:
    return request_from_dict(picklecompat.loads(data), spider=spider)
