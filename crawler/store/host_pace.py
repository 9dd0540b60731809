"""What outlives a run of the per-host clock: daily request counts and each host's last request.

Both are small rows written as requests go out. A count is taken with one conditional
``UPDATE`` (``used < limit``), so two crawls sharing a database never pass the limit
together; the last request keeps the later of what is stored and what is written.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crawler.store.models import HostLastRequest, HostQuotaDay

__all__ = ["last_request", "note_last_request", "quota_used", "take_quota"]


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


def last_request(session: Session, host: str) -> tuple[float, float] | None:
    row = session.get(HostLastRequest, host)
    return None if row is None else (row.sent_at, row.done_at)


def note_last_request(session: Session, host: str, sent_at: float, done_at: float) -> None:
    row = session.get(HostLastRequest, host)
    if row is None:
        session.add(HostLastRequest(host=host, sent_at=sent_at, done_at=done_at))
    else:
        row.sent_at, row.done_at = max(row.sent_at, sent_at), max(row.done_at, done_at)
