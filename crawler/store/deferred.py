"""Rows a crawl keeps for its next run, written to the store together rather than one by one.

A first crawl of hundreds of hosts would otherwise commit once per host (each commit in the
reactor's way) for what only the next run reads: a host's last request, its robots.txt and
tdmrep.json verdicts. :class:`DeferredWrites` gathers them and writes them in one
transaction at most once every ``every`` seconds, and when the crawl closes. What a crash
loses costs the next run one request or one gap's caution, nothing else; a store that
cannot take them is said once as a WARNING (the next run will ask the sites again), then
at DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from crawler.store.db import session_factory

__all__ = ["DeferredWrites"]

logger = logging.getLogger(__name__)

V = TypeVar("V")


class DeferredWrites(Generic[V]):
    """Each key's latest value, written with ``write(session, values)`` in one transaction."""

    def __init__(
        self,
        database_url: str,
        write: Callable[[Session, dict[str, V]], None],
        what: str,
        every: float = 1.0,
    ) -> None:
        self.database_url = database_url
        self._write = write
        self.what = what
        """Named in the log when the store cannot take them, e.g. "robots.txt verdicts"."""
        self.every = every
        self._pending: dict[str, V] = {}
        self._written_at = float("-inf")  # the first is written at once
        self._warned = False

    def put(self, key: str, value: V) -> None:
        """Keep ``value`` for ``key`` (replacing one not yet written); write if it is time."""
        self._pending[key] = value
        if time.monotonic() - self._written_at >= self.every:
            self.flush()

    def flush(self) -> None:
        """Write what is pending (the crawl calls this when it closes)."""
        self._written_at = time.monotonic()
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        try:
            with session_factory(self.database_url).begin() as session:
                self._write(session, pending)
        except Exception as error:  # costs the next run a request or some caution, no data
            level = logging.DEBUG if self._warned else logging.WARNING
            self._warned = True
            logger.log(
                level,
                "%s of %d hosts not kept in the store for the next run: %s",
                self.what,
                len(pending),
                error,
            )
