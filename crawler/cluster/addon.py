"""``-s REDIS_URL=...`` alone switches a crawl to the cluster: this add-on (in ``ADDONS``)
swaps in the shared scheduler, duplicate filter and per-host clock when the setting is
there, and does nothing when it is not."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.settings import SETTINGS_PRIORITIES

from crawler import settings as defaults
from crawler.extras import require

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["CLUSTER_DEFAULTS", "CLUSTER_SETTINGS", "ClusterAddon"]

logger = logging.getLogger(__name__)

CLUSTER_SETTINGS = {
    "SCHEDULER": "crawler.cluster.scheduler.ClusterScheduler",
    "DUPEFILTER_CLASS": "crawler.cluster.dupefilter.ClusterDupeFilter",
    "PACE_CLOCK": "crawler.cluster.clock.RedisHostClock",
    # For anything reading scrapy-redis' settings: the frontier outlives each worker.
    "SCHEDULER_PERSIST": True,
}
CLUSTER_DEFAULTS = (
    "IDLE_TIMEOUT", "CLUSTER_LEASE_TIMEOUT", "CLUSTER_POLL_INTERVAL", "CLUSTER_KEY_PREFIX",
    "CLUSTER_CLOCK_MARGIN", "CLUSTER_CLOCK_TTL", "CLUSTER_CRAWL",
)  # fmt: skip
"""The settings whose defaults (in :mod:`crawler.settings`) a cluster crawl gets here."""


class ClusterAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        require("cluster", "REDIS_URL (a cluster crawl)")
        for name in CLUSTER_DEFAULTS:
            settings.set(name, getattr(defaults, name), priority="addon")
        for name, value in CLUSTER_SETTINGS.items():
            priority = settings.getpriority(name) or 0
            if priority >= SETTINGS_PRIORITIES["cmdline"]:
                continue  # the user chose on the command line: theirs wins
            # At least the priority the current value has, so project defaults give way.
            settings.set(name, value, priority=max(priority, SETTINGS_PRIORITIES["addon"]))
