"""The store as the server sees it: migrated once at start, then read-only connections.

The server never writes: each connection is made read-only by the database itself
(SQLite ``query_only``, PostgreSQL read-only transactions), so that a bug in a query
cannot change the archive. Migrating at start is the one write, and it happens before the
first request, with the store's own migrations (the search index comes with them).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from crawler.logsafe import mask_url
from crawler.store.db import ForeignDatabase, create_store_engine, upgrade

__all__ = ["THREADS", "StoreMissing", "open_store"]

THREADS = 8
"""Requests a worker process answers at once (its thread pool), and so the connections it
keeps open. More would only wait for the same cores, and on SQLite each connection beyond
the pool's would be opened for one request and closed after it, its schema read again and
its page cache cold."""


class StoreMissing(LookupError):
    """A SQLite store that does not exist: serving it would create an empty file."""


def _sqlite_read_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")  # while a writer checkpoints the WAL
    cursor.close()


def _postgres_read_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    dbapi_connection.commit()


def read_only_engine(url: str) -> Engine:
    """An engine whose every connection refuses writes, keeping :data:`THREADS` of them
    open (a SQLite reader needs none of the writer's pragmas)."""
    pool = {"pool_size": THREADS, "max_overflow": THREADS}
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, **pool)
        event.listen(engine, "connect", _sqlite_read_only)
    else:  # as the store's own engine (create_store_engine), with the larger pool
        engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10},
                               **pool)  # fmt: skip
        event.listen(engine, "connect", _postgres_read_only)
    return engine


def open_store(url: str) -> sessionmaker[Session]:
    """Sessions over the store at ``url``, migrated first (which adds the search index to a
    store made before it); raises :class:`StoreMissing` for a SQLite file that is not there,
    or a database that holds another program's tables."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or not Path(database).is_file():
            raise StoreMissing(f"no store at {url} (import or crawl into it first)")
    try:
        writer = create_store_engine(url)
        try:
            upgrade(writer)
        finally:
            writer.dispose()
    except ForeignDatabase as exc:
        raise StoreMissing(f"{mask_url(url)}: {exc}") from None
    return sessionmaker(read_only_engine(url), expire_on_commit=False)
