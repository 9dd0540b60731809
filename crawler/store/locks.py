"""Crawl locks in the store: one row per scheduled crawl being run, so that two machines
never run the same crawl at once (crawler/schedule/lock.py). Each step is one atomic
statement; functions take a session and never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crawler.store.db import dialect_insert, rowcount
from crawler.store.models import CrawlLock

__all__ = ["acquire_crawl_lock", "crawl_locks", "refresh_crawl_lock", "release_crawl_lock"]


def acquire_crawl_lock(
    session: Session,
    name: str,
    owner: str,
    host: str,
    pid: int,
    now: datetime,
    takeover: tuple[str, datetime] | None = None,
) -> bool:
    """Take the lock of crawl ``name``; ``False`` when someone else holds it.

    Each step is one statement, atomic on SQLite and PostgreSQL: insert when there is no
    row; else, given ``takeover`` (the owner and heartbeat of a row the caller found stale),
    swap the row over only if it is still exactly that one.
    """
    values = {"owner": owner, "host": host, "pid": pid, "acquired_at": now, "heartbeat_at": now}
    inserted = session.execute(
        dialect_insert(session, CrawlLock.__table__)
        .values(name=name, **values)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(CrawlLock.__table__.c.name)
    ).first()
    if inserted is not None:
        return True
    if takeover is None:
        return False
    stale_owner, stale_heartbeat = takeover
    stmt = update(CrawlLock).where(
        CrawlLock.name == name,
        CrawlLock.owner == stale_owner,
        CrawlLock.heartbeat_at == stale_heartbeat,
    )
    return rowcount(session.execute(stmt.values(**values))) == 1


def refresh_crawl_lock(
    session: Session, name: str, owner: str, now: datetime, pid: int | None = None
) -> bool:
    """Heartbeat (and, given ``pid``, the process now doing the work); ``False`` when the
    lock is no longer ``owner``'s."""
    values: dict[str, Any] = {"heartbeat_at": now} | ({"pid": pid} if pid is not None else {})
    stmt = update(CrawlLock).where(CrawlLock.name == name, CrawlLock.owner == owner)
    return rowcount(session.execute(stmt.values(**values))) == 1


def release_crawl_lock(session: Session, name: str, owner: str) -> bool:
    stmt = delete(CrawlLock).where(CrawlLock.name == name, CrawlLock.owner == owner)
    return rowcount(session.execute(stmt)) == 1


def crawl_locks(session: Session) -> dict[str, Any]:
    """Every lock held, by crawl name."""
    return {lock.name: lock for lock in session.scalars(select(CrawlLock))}
