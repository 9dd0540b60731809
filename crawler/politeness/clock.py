"""The per-host clock: the one place that decides when the next request to a host may leave.

Every request, robots.txt included, asks the clock through the download handler
(``handler.py``). The clock keeps, per host, the latest start, the latest completion and a
pause (Retry-After); a request may start no earlier than ``gap`` after both the previous
start and the previous response. Counting from the response, not only from the start,
makes the guarantee hold at the server whatever the network does: a request the server
logged late can't make the next one look early.

The interface is small and every operation is a single read-modify-write of one host's
record, so a shared backend can implement it atomically (Redis: one hash per host and a
Lua script for :meth:`HostClock.reserve`). Times are the clock's own (:meth:`now`): the
in-process clock uses ``time.monotonic``; a shared clock would use the server's time.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["HostClock", "LocalHostClock"]

logger = logging.getLogger(__name__)


class HostClock(ABC):
    """When may the next request to a host start? Shared by everything that sends."""

    @abstractmethod
    def now(self) -> float:
        """The current time on this clock's time base."""

    @abstractmethod
    async def reserve(self, host: str, gap: float) -> float:
        """Atomically claim the next start time for ``host`` and return it.

        ``start = max(now, last_start + gap, last_done + gap, paused_until)``; the claim
        sets ``last_start = start``, so a concurrent caller gets a later start.
        """

    @abstractmethod
    async def release(self, host: str, sent_at: float, done_at: float) -> None:
        """Record when the claimed request actually left and when its answer (or error)
        came back; later reservations count their gap from these."""

    @abstractmethod
    async def pause(self, host: str, until: float) -> None:
        """No request to ``host`` starts before ``until`` (Retry-After, robots back-off)."""

    @abstractmethod
    async def paused_until(self, host: str) -> float:
        """The end of the host's pause (0 when none)."""

    async def recall(self, host: str, sent_at: float, done_at: float, next_at: float) -> None:
        """A request an earlier run sent (``HostMemory``): later reservations count their
        gap from it, and none starts before ``next_at``. Unlike :meth:`release`, it frees
        no claim (a shared clock's host may be held by another worker meanwhile)."""
        await self.release(host, sent_at, done_at)
        if next_at > done_at:
            await self.pause(host, next_at)

    def ready_at(self, host: str, gap: float) -> float:
        """When a request to ``host`` could start, as far as this process knows, without
        claiming it: the frontier hands out a host's request only then, so requests wait
        in the scheduler, not in download slots. A hint: :meth:`reserve` still decides.
        Backends that can't tell without a round trip answer "now"."""
        return self.now()

    async def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release connections held by the backend."""


@dataclass
class _HostRecord:
    last_start: float = float("-inf")
    last_done: float = float("-inf")
    paused_until: float = 0.0


class LocalHostClock(HostClock):
    """The in-process clock. Safe without locks: the event loop runs one coroutine at a time
    and no method awaits between reading and writing a record."""

    def __init__(self) -> None:
        self._hosts: dict[str, _HostRecord] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LocalHostClock:
        return cls()

    def now(self) -> float:
        return time.monotonic()

    def _record(self, host: str) -> _HostRecord:
        return self._hosts.setdefault(host, _HostRecord())

    async def reserve(self, host: str, gap: float) -> float:
        record = self._record(host)
        start = max(self.now(), record.last_start + gap, record.last_done + gap)
        start = max(start, record.paused_until)
        record.last_start = start
        return start

    def ready_at(self, host: str, gap: float) -> float:
        record = self._hosts.get(host)
        if record is None:
            return float("-inf")
        return max(record.last_start + gap, record.last_done + gap, record.paused_until)

    async def release(self, host: str, sent_at: float, done_at: float) -> None:
        record = self._record(host)
        record.last_start = max(record.last_start, sent_at)
        record.last_done = max(record.last_done, done_at)

    async def pause(self, host: str, until: float) -> None:
        record = self._record(host)
        record.paused_until = max(record.paused_until, until)

    async def paused_until(self, host: str) -> float:
        return self._record(host).paused_until
