"""One run per scheduled crawl at a time: a row in the store's ``crawl_locks`` table.

Taking the lock is one atomic statement (insert, or compare-and-swap over a stale row), so
it is safe on SQLite and PostgreSQL, from one machine or several. The crawl process keeps
the lock's heartbeat (:mod:`~crawler.schedule.heartbeat`), so the lock lives exactly as long
as the crawl does, even if the runner that started it is gone.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crawler.store.locks import (
    acquire_crawl_lock,
    crawl_locks,
    refresh_crawl_lock,
    release_crawl_lock,
)

__all__ = ["STALE_AFTER", "CrawlLockHandle", "is_stale", "pid_alive", "try_lock"]

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
"""A lock held from another machine is stale when its heartbeat is this old."""


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a reused pid that runs no crawl, per
    ``/proc``, does not count)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        text = cmdline.read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no /proc here: trust kill()
    except OSError:
        return True
    if not text:  # a zombie: exited, not yet reaped
        return False
    return b"scrapy" in text or b"crawler" in text


def is_stale(lock: Any, host: str, now: datetime, stale_after: timedelta = STALE_AFTER) -> bool:
    """The stale-lock rule. On the same machine: stale when its process is gone, at once.
    From another machine, whose processes we cannot see: stale when its heartbeat is older
    than ``stale_after``."""
    if lock.host == host:
        return not pid_alive(lock.pid)
    return bool(lock.heartbeat_at < now - stale_after)


@dataclass
class CrawlLockHandle:
    factory: sessionmaker[Session]
    name: str
    owner: str

    def refresh(self, now: datetime, pid: int | None = None) -> bool:
        with self.factory.begin() as session:
            return refresh_crawl_lock(session, self.name, self.owner, now, pid)

    def release(self) -> None:
        with self.factory.begin() as session:
            if not release_crawl_lock(session, self.name, self.owner):
                logger.warning("The lock of %s was taken over before it was released", self.name)


def new_owner(host: str | None = None) -> str:
    return f"{host or socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def try_lock(
    factory: sessionmaker[Session],
    name: str,
    now: datetime,
    pid: int | None = None,
    host: str | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> CrawlLockHandle | None:
    """The lock of crawl ``name``, or None when a live run holds it."""
    host = host or socket.gethostname()
    owner = new_owner(host)
    pid = os.getpid() if pid is None else pid
    with factory.begin() as session:
        held = crawl_locks(session).get(name)
        takeover = None
        if held is not None:
            if not is_stale(held, host, now, stale_after):
                return None
            takeover = (held.owner, held.heartbeat_at)
            logger.warning(
                "Taking over the stale lock of %s (held by pid %s on %s since %s)",
                name, held.pid, held.host, held.acquired_at,
            )  # fmt: skip
        if acquire_crawl_lock(session, name, owner, host, pid, now, takeover):
            return CrawlLockHandle(factory, name, owner)
    return None
