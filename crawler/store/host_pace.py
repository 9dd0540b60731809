"""What outlives a run of the per-host clock: daily request counts and each host's last request.

Both are small rows written as requests go out. A count is taken with one conditional
``UPDATE`` (``used < limit``), so two crawls sharing a database never pass the limit
together; the last request keeps the later of what is stored and what is written.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.store.db import dialect_insert
from crawler.store.models import HostLastRequest, HostQuotaDay

__all__ = [
    "LastRequest",
    "last_request",
    "last_requests",
    "note_last_request",
    "note_last_requests",
    "quota_used",
    "take_quota",
]


def quota_used(session: Session, domain: str, day: str) -> int:
    used = session.scalar(
        select(HostQuotaDay.used).where(HostQuotaDay.domain == domain, HostQuotaDay.day == day)
    )
    return int(used or 0)


def take_quota(session: Session, domain: str, day: str, limit: int) -> int | None:
    """Count one request; the new count, or None when ``limit`` is already reached."""
    for _ in range(2):
        result = session.execute(
            update(HostQuotaDay)
            .where(
                HostQuotaDay.domain == domain,
                HostQuotaDay.day == day,
                HostQuotaDay.used < limit,
            )
            .values(used=HostQuotaDay.used + 1)
            .returning(HostQuotaDay.used)
        ).first()
        if result is not None:
            return int(result[0])
        if session.get(HostQuotaDay, (domain, day)) is not None:
            return None  # the row is there: the limit is reached
        if limit <= 0:
            return None
        try:
            with session.begin_nested():
                session.add(HostQuotaDay(domain=domain, day=day, used=1))
            return 1
        except IntegrityError:  # another crawl counted its first request just now
            continue
    return None


LastRequest = tuple[float, float, float]
"""``(sent_at, done_at, next_at)``, seconds since the epoch: when a host's last request left
and was answered, and the earliest start of its next one (0: none known)."""


def last_request(session: Session, host: str) -> LastRequest | None:
    row = session.get(HostLastRequest, host)
    return None if row is None else (row.sent_at, row.done_at, row.next_at)


def last_requests(session: Session, limit: int) -> dict[str, LastRequest] | None:
    """Every host's last request, or None when there are more than ``limit`` hosts."""
    table = HostLastRequest
    rows = session.execute(
        select(table.host, table.sent_at, table.done_at, table.next_at).limit(limit + 1)
    ).all()
    if len(rows) > limit:
        return None
    return {host: (sent, done, next_at) for host, sent, done, next_at in rows}


def note_last_request(
    session: Session, host: str, sent_at: float, done_at: float, next_at: float = 0.0
) -> None:
    note_last_requests(session, {host: (sent_at, done_at, next_at)})


def note_last_requests(session: Session, last: Mapping[str, LastRequest]) -> None:
    """Each host's ``(sent_at, done_at, next_at)``, keeping the later of stored and written:
    one upsert statement for every host (a crawl writes hundreds a second), not a read and
    an ORM object per host."""
    if not last:
        return
    table = HostLastRequest.__table__
    insert = dialect_insert(session, table)
    # the later of two numbers: max(a, b) is scalar in SQLite, GREATEST in PostgreSQL
    later = func.greatest if session.get_bind().dialect.name == "postgresql" else func.max
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.host],
        set_={
            name: later(table.c[name], insert.excluded[name])
            for name in ("sent_at", "done_at", "next_at")
        },
    )
    rows = [
        {"host": h, "sent_at": s, "done_at": d, "next_at": n}
        for h, (s, d, n) in sorted(last.items())
    ]
    session.execute(statement, rows)
