"""Redis key names, in one place: ``<prefix>:crawl:<name>:...`` for one crawl's frontier,
``<prefix>:clock:<host>`` and ``<prefix>:robots:<origin>`` for what every crawl on this
Redis shares (a host's pace holds whichever crawl sends to it)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CrawlKeys", "SharedKeys"]


@dataclass(frozen=True)
class SharedKeys:
    prefix: str

    @property
    def clock_prefix(self) -> str:
        return f"{self.prefix}:clock:"

    def clock(self, host: str) -> str:
        return self.clock_prefix + host

    def verdict(self, kind: str, origin: str) -> str:
        """A policy file's verdict (``robots``, ``tdmrep``) shared while it may be cached."""
        return f"{self.prefix}:{kind}:{origin}"

    def quota(self, domain: str, day: str) -> str:
        """A site's request count of one UTC day (its daily limit in the site terms)."""
        return f"{self.prefix}:quota:{domain}:{day}"

    @property
    def epoch(self) -> str:
        """Set by every worker as it starts, never expiring: a Redis without it has lost
        what the workers of a running crawl wrote (restarted empty, flushed), and the
        clock and frontier of that crawl are not to be trusted (``clock.py``)."""
        return f"{self.prefix}:epoch"

    def fetch_claim(self, kind: str, origin: str) -> str:
        """Held by the one worker fetching ``origin``'s policy file of ``kind``; the others
        wait for its verdict."""
        return f"{self.prefix}:{kind}-fetch:{origin}"


@dataclass(frozen=True)
class CrawlKeys:
    prefix: str
    crawl: str

    @property
    def shared(self) -> SharedKeys:
        return SharedKeys(self.prefix)

    def _key(self, suffix: str) -> str:
        return f"{self.prefix}:crawl:{self.crawl}:{suffix}"

    @property
    def pattern(self) -> str:
        """Every key of this crawl (for ``enqueue --reset``)."""
        return self._key("*")

    @property
    def hosts(self) -> str:
        """ZSET host -> when it may be leased next (far future while one of its requests is out)."""
        return self._key("hosts")

    @property
    def queue_prefix(self) -> str:
        """LIST per host of serialized requests."""
        return self._key("q:")

    def queue(self, host: str) -> str:
        return self.queue_prefix + host

    @property
    def seen(self) -> str:
        """SET of request fingerprints: the shared duplicate filter."""
        return self._key("seen")

    @property
    def leases(self) -> str:
        """ZSET lease id -> expiry; with :attr:`leased`, requests out with a worker."""
        return self._key("leases")

    @property
    def leased(self) -> str:
        """HASH lease id -> ``host \\n payload``."""
        return self._key("leased")

    @property
    def active(self) -> str:
        """When anything last happened in the frontier (for the idle time-out)."""
        return self._key("active")

    @property
    def seed_hosts(self) -> str:
        """SET of the hosts of seeds: links on them are followed, whoever enqueued the seed."""
        return self._key("seed_hosts")

    @property
    def dead(self) -> str:
        """LIST of payloads that could not be read back, kept for a look rather than lost."""
        return self._key("dead")
