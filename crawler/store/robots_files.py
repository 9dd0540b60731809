"""robots.txt verdicts kept in the store, per origin, so a recrawl need not ask again.

RFC 9309 (2.4) lets a crawler use a cached robots.txt for up to 24 hours; the in-process
cache ended with the run, so a crawl every hour asked each host for it every hour. Kept
here are a parsed file's bytes, to be parsed again, or "unavailable: all allowed" (a 4xx);
never an unreachable file's "nothing allowed", which is asked again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.store.db import dialect_insert
from crawler.store.models import RobotsTxtFile

__all__ = ["KeptRobots", "load_robots_file", "load_robots_files", "save_robots_files"]


class KeptRobots(NamedTuple):
    kind: str
    """``parsed`` or ``allow_all``."""
    reason: str
    source: bytes
    truncated: bool
    fetched_at: datetime


_COLUMNS = (
    RobotsTxtFile.kind,
    RobotsTxtFile.reason,
    RobotsTxtFile.source,
    RobotsTxtFile.truncated,
    RobotsTxtFile.fetched_at,
)


def _kept(kind: str, reason: str, source: bytes, truncated: bool, at: datetime) -> KeptRobots:
    return KeptRobots(str(kind), str(reason), bytes(source), bool(truncated), at)


def load_robots_file(
    session: Session, origin: str, now: datetime, max_age: timedelta
) -> KeptRobots | None:
    """The origin's verdict if it was fetched within ``max_age``, else None."""
    row = session.execute(
        select(*_COLUMNS).where(
            RobotsTxtFile.origin == origin, RobotsTxtFile.fetched_at >= now - max_age
        )
    ).first()
    return None if row is None else _kept(*row)


def load_robots_files(
    session: Session, now: datetime, max_age: timedelta, limit: int
) -> dict[str, KeptRobots] | None:
    """Every origin's verdict fetched within ``max_age``, in one query; None when there
    are more than ``limit`` (then asked origin by origin)."""
    rows = session.execute(
        select(RobotsTxtFile.origin, *_COLUMNS)
        .where(RobotsTxtFile.fetched_at >= now - max_age)
        .limit(limit + 1)
    ).all()
    if len(rows) > limit:
        return None
    return {str(row[0]): _kept(*row[1:]) for row in rows}


def save_robots_files(session: Session, files: Mapping[str, KeptRobots]) -> None:
    """Each origin's verdict: one upsert for all of them (a later fetch replaces it)."""
    if not files:
        return
    table = RobotsTxtFile.__table__
    insert = dialect_insert(session, table)
    kept = ("kind", "reason", "source", "truncated", "fetched_at")
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.origin],
        set_={name: insert.excluded[name] for name in kept},
    )
    rows = [{"origin": origin, **verdict._asdict()} for origin, verdict in sorted(files.items())]
    session.execute(statement, rows)
