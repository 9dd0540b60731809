"""Each host's last request, kept in the store so that the next run keeps the host's gap.

The in-process clock starts every run knowing nothing: a crawl started right after another
would send its first request to a host at once, closer to the last one than the host's
gap. :class:`HostMemory` tells the clock, before a host's first request of the run, when
the last run's last request to it left and was answered, and holds the host until that
request's answer plus the gap the host asked for then: the run learns the host's
Crawl-delay only from robots.txt (read again, or from the store), and its own request
would otherwise follow the last run's at once. :class:`~crawler.politeness.turns.Turns`
asks it before a host's first turn and tells it every request that comes back, the
browser's included; it writes them down together (``crawler/store/deferred.py``). Times are
stored as wall-clock seconds and turned into the clock's own time base on the way in and
out.

The cluster's clock (Redis) is told too: the private Redis of ``crawler crawl --workers``
ends with the command, and a shared Redis lets its per-host records expire.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from crawler.store import session_factory
from crawler.store.deferred import DeferredWrites
from crawler.store.host_pace import LastRequest, last_request, last_requests, note_last_requests
from crawler.store.preload import ReadAllOnce

if TYPE_CHECKING:
    from crawler.politeness.clock import HostClock

__all__ = ["HostMemory"]

logger = logging.getLogger(__name__)

_LOAD_ALL_MAX = 100_000
"""Up to this many hosts in the store, the first recall reads them all in one query."""


class HostMemory:
    def __init__(self, database_url: str, clock: HostClock, gap_max: float) -> None:
        self.database_url = database_url
        self.clock = clock
        self.gap_max = gap_max
        """``CRAWL_DELAY_MAX``: a host asking for more is left out of the run once its
        robots.txt is read, so the next run holds it no longer than this."""
        self._recalled: set[str] = set()
        self._stored: ReadAllOnce[LastRequest | None] = ReadAllOnce(
            self._last_requests, self._last_request, _LOAD_ALL_MAX, missing=lambda: None
        )
        self._writes: DeferredWrites[LastRequest] = DeferredWrites(
            database_url, note_last_requests, "Last requests"
        )

    def _to_wall(self, at: float) -> float:
        return at - self.clock.now() + time.time()

    def _from_wall(self, at: float) -> float:
        return at - time.time() + self.clock.now()

    async def recall(self, host: str) -> None:
        """Before the run's first request to ``host``: the last run's last request."""
        if host in self._recalled:
            return
        self._recalled.add(host)
        try:
            found = self._stored.take(host)
        except Exception as error:  # the store away: the run keeps its own gaps only
            logger.debug("Last request to %s not read from the store: %s", host, error)
            return
        if found is not None:
            sent, done, next_at = (self._from_wall(at) for at in found)
            await self.clock.recall(host, sent, done, next_at)

    def _last_requests(self, limit: int) -> dict[str, LastRequest | None] | None:
        with session_factory(self.database_url)() as session:
            found = last_requests(session, limit)
        return None if found is None else dict(found)

    def _last_request(self, host: str) -> LastRequest | None:
        with session_factory(self.database_url)() as session:
            return last_request(session, host)

    def note(self, host: str, sent: float, done: float, gap: float) -> None:
        """A request to ``host`` left at ``sent`` and was answered at ``done`` (clock time);
        the host asks for ``gap`` seconds between requests."""
        next_at = done + min(gap, self.gap_max)
        self._writes.put(host, (self._to_wall(sent), self._to_wall(done), self._to_wall(next_at)))

    def flush(self) -> None:
        self._writes.flush()
