"""tdmrep.json verdicts kept in the store, per origin, so a recrawl need not ask again.

A verdict is ``[(location, reserved), ...]`` in the file's order; ``[]`` stands for "no
tdmrep.json" (a 404, or a file with no rules), which is worth keeping as much as a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.store.db import dialect_insert
from crawler.store.models import TdmRepFile

__all__ = ["load_tdmrep", "load_tdmrep_files", "save_tdmrep", "save_tdmrep_files"]


def load_tdmrep(
    session: Session, origin: str, now: datetime, max_age: timedelta
) -> list[tuple[str, bool]] | None:
    """The origin's verdict if it was fetched within ``max_age``, else None."""
    row = session.scalars(select(TdmRepFile).where(TdmRepFile.origin == origin)).first()
    if row is None or row.fetched_at < now - max_age:
        return None
    return [(str(location), bool(reserved)) for location, reserved in row.rules]


def load_tdmrep_files(
    session: Session, now: datetime, max_age: timedelta, limit: int
) -> dict[str, list[tuple[str, bool]]] | None:
    """Every origin's verdict fetched within ``max_age``, in one query; None when there
    are more than ``limit`` (then asked origin by origin)."""
    stmt = (
        select(TdmRepFile.origin, TdmRepFile.rules)
        .where(TdmRepFile.fetched_at >= now - max_age)
        .limit(limit + 1)
    )
    rows = list(session.execute(stmt))
    if len(rows) > limit:
        return None
    return {
        str(origin): [(str(location), bool(reserved)) for location, reserved in rules]
        for origin, rules in rows
    }


def save_tdmrep(
    session: Session, origin: str, entries: list[tuple[str, bool]], now: datetime
) -> None:
    save_tdmrep_files(session, {origin: (entries, now)})


def save_tdmrep_files(
    session: Session, files: Mapping[str, tuple[list[tuple[str, bool]], datetime]]
) -> None:
    """Each origin's verdict and when it was fetched: one upsert for all of them."""
    if not files:
        return
    table = TdmRepFile.__table__
    insert = dialect_insert(session, table)
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.origin],
        set_={"rules": insert.excluded.rules, "fetched_at": insert.excluded.fetched_at},
    )
    rows = [
        {"origin": origin, "rules": [list(rule) for rule in entries], "fetched_at": at}
        for origin, (entries, at) in sorted(files.items())
    ]
    session.execute(statement, rows)
