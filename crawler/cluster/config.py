"""The cluster settings, read once per crawl into one typed object.

``REDIS_URL`` alone switches a crawl to the shared frontier (``addon.py``); the rest have
defaults that suit a handful of workers on one Redis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["ClusterConfig", "ClusterConfigError", "check_crawl_name"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class ClusterConfigError(ValueError):
    """Cluster settings that can't work together."""


def check_crawl_name(name: str) -> str:
    """Crawl names become parts of Redis keys: keep them plain."""
    if not _NAME_RE.match(name):
        raise ClusterConfigError(
            f"crawl name {name!r}: use letters, digits, '_', '.', '-' (at most 100 characters)"
        )
    return name


@dataclass(frozen=True)
class ClusterConfig:
    redis_url: str
    key_prefix: str
    idle_timeout: float
    """Stop once the whole frontier has been empty, with nothing leased, this long."""
    lease_timeout: float
    """A request leased by a worker that stops answering returns to the frontier after this."""
    poll_interval: float
    """Longest a worker waits before asking the frontier again when nothing was ready."""
    clock_margin: float
    """Added to every host gap, against the workers' estimates of Redis' time being off."""
    clock_ttl: float
    """A host's shared clock record is forgotten after this long without requests."""

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ClusterConfig:
        url = settings.get("REDIS_URL")
        if not url:
            raise ClusterConfigError("REDIS_URL is not set: the crawl is not in cluster mode")
        config = cls(
            redis_url=str(url),
            key_prefix=settings.get("CLUSTER_KEY_PREFIX"),
            idle_timeout=settings.getfloat("IDLE_TIMEOUT"),
            lease_timeout=settings.getfloat("CLUSTER_LEASE_TIMEOUT"),
            poll_interval=settings.getfloat("CLUSTER_POLL_INTERVAL"),
            clock_margin=settings.getfloat("CLUSTER_CLOCK_MARGIN"),
            clock_ttl=settings.getfloat("CLUSTER_CLOCK_TTL"),
        )
        if config.lease_timeout < 1.0:
            raise ClusterConfigError("CLUSTER_LEASE_TIMEOUT must be at least 1 second")
        if not 0.0 < config.poll_interval <= config.lease_timeout / 4:
            raise ClusterConfigError(
                "CLUSTER_POLL_INTERVAL must be above 0 and at most CLUSTER_LEASE_TIMEOUT / 4"
            )
        if config.idle_timeout < 0 or config.clock_margin < 0:
            raise ClusterConfigError("IDLE_TIMEOUT and CLUSTER_CLOCK_MARGIN can't be negative")
        if ":" in config.key_prefix or not config.key_prefix:
            raise ClusterConfigError("CLUSTER_KEY_PREFIX must be non-empty, without ':'")
        return config
