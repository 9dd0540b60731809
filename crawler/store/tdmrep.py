"""tdmrep.json verdicts kept in the store, per origin, so a recrawl need not ask again.

A verdict is ``[(location, reserved), ...]`` in the file's order; ``[]`` stands for "no
tdmrep.json" (a 404, or a file with no rules), which is worth keeping as much as a file.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.store.models import TdmRepFile

__all__ = ["load_tdmrep", "save_tdmrep"]


def load_tdmrep(
    session: Session, origin: str, now: datetime, max_age: timedelta
) -> list[tuple[str, bool]] | None:
    """The origin's verdict if it was fetched within ``max_age``, else None."""
    row = session.scalars(select(TdmRepFile).where(TdmRepFile.origin == origin)).first()
    if row is None or row.fetched_at < now - max_age:
        return None
    return [(str(location), bool(reserved)) for location, reserved in row.rules]


def save_tdmrep(
    session: Session, origin: str, entries: list[tuple[str, bool]], now: datetime
) -> None:
    row = session.get(TdmRepFile, origin)
    rules = [[location, reserved] for location, reserved in entries]
    if row is None:
        session.add(TdmRepFile(origin=origin, rules=rules, fetched_at=now))
    else:
        row.rules, row.fetched_at = rules, now
