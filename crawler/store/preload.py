"""Rows kept per host or origin, read from the store all at once when there are few enough.

Several parts of a crawl ask the store about each host before its first request (its last
request, its tdmrep.json verdict, its stored pages and sets). A first crawl of hundreds of
hosts asked once per host, each query in the reactor's way; :class:`ReadAllOnce` reads
every key's rows in one query on first use when the store holds at most ``limit``, and key
by key past that (a recrawl of a few hosts from a large store then reads only theirs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["ReadAllOnce"]

V = TypeVar("V")


class ReadAllOnce(Generic[V]):
    """Each key's value, taken once: from one read of them all, or from its own read.

    ``read_all(limit)`` returns every key's value, or None when there are more than
    ``limit`` (or it cannot say); ``read_one(key)`` reads one key's. A key absent from a
    complete read of them all has the value ``missing()`` (a new one each time: the caller
    may add to it). A failing ``read_all`` is not
    retried: keys are then read one by one, and their errors reach the caller.
    """

    def __init__(
        self,
        read_all: Callable[[int], dict[str, V] | None],
        read_one: Callable[[str], V],
        limit: int,
        missing: Callable[[], V],
    ) -> None:
        self._read_all = read_all
        self._read_one = read_one
        self.limit = limit
        self._missing = missing
        self._all: dict[str, V] | None = None
        self._tried = False

    def take(self, key: str) -> V:
        """``key``'s value; from a read of them all, each is handed out once (the caller
        keeps what it needs again)."""
        if not self._tried:
            self._tried = True
            self._all = self._read_all(self.limit)
        if self._all is not None:
            return self._all.pop(key) if key in self._all else self._missing()
        return self._read_one(key)

    @property
    def read_all(self) -> bool:
        """Whether every key's value came from one read (known after the first take)."""
        return self._all is not None
