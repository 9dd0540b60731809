"""Storing a batch of sets in one transaction, telling a refused set from an absent store.

Shared by the store pipeline and ``crawler store replay``: a batch either commits, or the
sets the store refuses are found one by one (so one bad set never costs the others their
place), or the database is away (:class:`StoreAway`), with nothing stored.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from crawler.items import DJSet
from crawler.store.db import utcnow
from crawler.store.identity import store_sets_once
from crawler.store.sets import KeyCache

__all__ = ["StoreAway", "is_outage", "store_batch", "writer_lock"]


class StoreAway(Exception):
    """The database did not answer (as opposed to refusing one set)."""


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` says the database is away, not that it refused the data.

    Connection errors, lost connections and a locked SQLite file are worth retrying
    later; a constraint or data error would fail the same way again.
    """
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)


_WRITER_LOCK = 7261002
"""PostgreSQL advisory lock id of the set writers (7261001 is the migrations')."""


def writer_lock(session: Session) -> None:
    """Make this transaction the store's only set writer until it ends.

    Storing a set looks first (is it known under another URL, by its content?) and then
    writes: two processes storing the same set at once would both find nothing and both
    add it. On SQLite the transaction takes the write lock before it looks (``BEGIN
    IMMEDIATE``; others wait, up to the busy timeout), on PostgreSQL an advisory lock held
    to the end of the transaction; readers are never blocked.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITER_LOCK})")


def store_batch(
    factory: sessionmaker[Session],
    items: list[DJSet],
    cache: KeyCache,
    on_refused: Callable[[DJSet, Exception], None],
) -> tuple[list[str], list[DJSet]]:
    """Store ``items``: the outcome of each stored set ("created", "updated",
    "unchanged", "linked"), and the sets the store refused (each told to ``on_refused`` once).

    Raises :class:`StoreAway` when the database is away; nothing is stored then.
    """
    now = utcnow()
    try:
        with factory.begin() as session:
            writer_lock(session)
            # One row per real set: a set already stored under another URL is linked.
            return store_sets_once(session, items, now, cache), []
    except Exception as error:
        cache.clear()  # ids learnt in a rolled-back transaction may not exist
        if is_outage(error):
            raise StoreAway(str(error).splitlines()[0] if str(error) else repr(error)) from error
        if len(items) == 1:
            on_refused(items[0], error)
            return [], items
    outcomes: list[str] = []
    refused: list[DJSet] = []
    for item in items:
        stored, bad = store_batch(factory, [item], cache, on_refused)
        outcomes += stored
        refused += bad
    return outcomes, refused
