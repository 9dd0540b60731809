"""One crawl's shared frontier in Redis: per-host queues, the duplicate filter and leases.

Requests wait in one queue per host; a sorted set orders hosts by when their clock next
lets them go, so a worker always takes a request that can leave now, from the host that
has waited longest, and never one whose host is already being fetched by someone. Hosts
are spread that way: no worker sits on a slow host's requests while others have none.

A request taken is *leased*, not removed: it stays in Redis until the worker says it is
fully handled (callback run, items stored, follow-ups queued) and returns to its host's
queue when the lease runs out, so a worker that dies loses nothing. A live worker keeps
extending its leases. Every operation is one Lua script (``scripts.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crawler.cluster import scripts
from crawler.cluster.keys import CrawlKeys

if TYPE_CHECKING:
    import redis

__all__ = ["Enqueued", "Frontier", "FrontierStatus", "Leased"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Leased:
    lease_id: str
    host: str
    payload: bytes


@dataclass(frozen=True)
class Enqueued:
    """A request to queue (:meth:`Frontier.add`)."""

    host: str
    payload: bytes
    fingerprint: str | None
    front: bool = False
    finishes: str | None = None
    seed: bool = False


@dataclass(frozen=True)
class FrontierStatus:
    hosts: int
    """Hosts with queued requests or a request out."""
    leases: int
    """Requests out with workers."""
    idle_for: float
    """Seconds since anything was queued, leased, finished or given back."""

    @property
    def empty(self) -> bool:
        return self.hosts == 0 and self.leases == 0


EMPTY = -1.0
"""``lease`` found no queued request at all."""
ALL_BUSY = -2.0
"""``lease`` found requests queued only for hosts that are being fetched."""


class Frontier:
    def __init__(self, client: redis.Redis, keys: CrawlKeys, lease_timeout: float) -> None:
        self.client = client
        self.keys = keys
        self.lease_timeout = lease_timeout
        self._clock_prefix = keys.shared.clock_prefix
        self._enqueue = client.register_script(scripts.ENQUEUE)
        self._lease = client.register_script(scripts.LEASE)
        self._release_host = client.register_script(scripts.RELEASE_HOST)
        self._ack = client.register_script(scripts.ACK)
        self._return = client.register_script(scripts.RETURN_LEASES)
        self._extend = client.register_script(scripts.EXTEND)
        self._status = client.register_script(scripts.STATUS)

    def add(
        self,
        host: str,
        payload: bytes,
        fingerprint: str | None,
        *,
        front: bool = False,
        finishes: str | None = None,
        seed: bool = False,
    ) -> bool:
        """Queue a request for ``host``; False when its fingerprint was already seen.

        ``fingerprint=None`` skips the filter (a retry). ``finishes`` names a lease this
        request replaces (a retry or redirect of a leased request): both in one step.
        ``seed``: the host is a seed's (:meth:`is_seed_host`).
        """
        return self.add_many([Enqueued(host, payload, fingerprint, front, finishes, seed)])[0]

    def add_many(self, requests: Sequence[Enqueued]) -> list[bool]:
        """:meth:`add` for each request, in one step and one round trip."""
        if not requests:
            return []
        k = self.keys
        args: list[str | bytes] = [k.queue_prefix, self._clock_prefix]
        for r in requests:
            args += [
                r.host,
                r.payload,
                r.fingerprint or "",
                "1" if r.front else "0",
                r.finishes or "",
                "1" if r.seed else "0",
            ]
        result = self._enqueue(
            keys=[k.hosts, k.seen, k.active, k.leases, k.leased, k.seed_hosts], args=args
        )
        return [bool(queued) for queued in result]

    def lease(self, lease_id: str, released: Sequence[str] = ()) -> Leased | float:
        """The next request that may leave now, or the seconds until one may
        (:data:`EMPTY`, :data:`ALL_BUSY` when there is none to wait for). ``released``:
        hosts to :meth:`release` first, in the same step."""
        leased = self.lease_many(lease_id, released, 1)
        return leased[0] if isinstance(leased, list) else leased

    def lease_many(
        self, lease_id: str, released: Sequence[str] = (), most: int = 1
    ) -> list[Leased] | float:
        """Up to ``most`` requests that may leave now, one per host, under the ids
        ``lease_id``, ``lease_id.2``, ``lease_id.3``...; else as :meth:`lease`."""
        k = self.keys
        result = self._lease(
            keys=[k.hosts, k.leases, k.leased, k.active],
            args=[
                k.queue_prefix,
                lease_id,
                self.lease_timeout,
                self._clock_prefix,
                most,
                *released,
            ],
        )
        if int(result[0]) != 1:
            return float(result[1])
        return [
            Leased(lease_id if n == 0 else f"{lease_id}.{n + 1}", host.decode(), bytes(payload))
            for n, (host, payload) in enumerate(zip(result[1::2], result[2::2], strict=True))
        ]

    def release(self, hosts: Sequence[str]) -> None:
        """The hosts' leased requests are off the network: the next request of each may be
        leased when its clock allows."""
        if not hosts:
            return
        k = self.keys
        self._release_host(keys=[k.hosts], args=[k.queue_prefix, self._clock_prefix, *hosts])

    def ack(self, lease_ids: Iterable[str]) -> int:
        ids = list(lease_ids)
        if not ids:
            return 0
        k = self.keys
        return int(self._ack(keys=[k.leases, k.leased, k.active], args=ids))

    def extend(self, lease_ids: Iterable[str]) -> int:
        ids = list(lease_ids)
        if not ids:
            return 0
        return int(self._extend(keys=[self.keys.leases], args=[self.lease_timeout, *ids]))

    def give_back(self, lease_ids: Iterable[str]) -> int:
        """Return leased requests to the front of their hosts' queues (a worker closing
        before it handled them)."""
        ids = list(lease_ids)
        return self._return_leases(ids) if ids else 0

    def reclaim_expired(self) -> int:
        """Return every lease past its time-out (a worker that died) to the frontier."""
        return self._return_leases(["expired"])

    def _return_leases(self, ids: list[str]) -> int:
        k = self.keys
        return int(
            self._return(
                keys=[k.hosts, k.leases, k.leased, k.active],
                args=[k.queue_prefix, self._clock_prefix, self.lease_timeout, *ids],
            )
        )

    def status(self) -> FrontierStatus:
        k = self.keys
        hosts, leases, idle = self._status(keys=[k.hosts, k.leases, k.active])
        return FrontierStatus(int(hosts), int(leases), float(idle))

    def queued(self) -> int:
        """Requests waiting in the queues (one round trip per host: for reports, not loops)."""
        hosts: list[bytes] = list(self.client.zrange(self.keys.hosts, 0, -1))  # type: ignore[arg-type]
        with self.client.pipeline(transaction=False) as pipe:
            for host in hosts:
                pipe.llen(self.keys.queue(host.decode()))
            return sum(pipe.execute())

    def seen(self) -> int:
        """Requests the crawl has taken in so far, over all workers (the shared filter)."""
        return int(self.client.scard(self.keys.seen))

    def is_seed_host(self, host: str) -> bool:
        return bool(self.client.sismember(self.keys.seed_hosts, host))

    def bury(self, payload: bytes) -> None:
        """Keep a request that can't be read back, for a look, instead of losing it."""
        self.client.rpush(self.keys.dead, payload)

    def reset(self) -> int:
        """Delete every key of this crawl (its queues, leases and seen set)."""
        deleted = 0
        batch: list[bytes] = []
        for key in self.client.scan_iter(match=self.keys.pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += int(self.client.delete(*batch))
                batch = []
        if batch:
            deleted += int(self.client.delete(*batch))
        return deleted
