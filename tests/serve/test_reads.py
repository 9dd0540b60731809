"""Where the JSON API runs its store reads: on the event loop for SQLite (a local file,
CPU work: a thread hop costs more than the query), in the thread pool for PostgreSQL (a
read waits for the network, and the loop must go on)."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import text
from sqlalchemy.orm import Session

from crawler.serve.api import _read
from crawler.serve.store import open_store


def _where(db: Session, extra: int) -> tuple[str, int]:
    return threading.current_thread().name, db.execute(text("SELECT 1")).scalar_one() + extra


async def _read_in(url: str) -> tuple[str, int]:
    with open_store(url)() as db:
        return await _read(db, _where, extra=1)


def test_sqlite_is_read_on_the_event_loop_postgresql_in_the_pool(store_url: str) -> None:
    thread, answer = asyncio.run(_read_in(store_url))
    assert answer == 2
    on_loop = thread == threading.current_thread().name
    assert on_loop == store_url.startswith("sqlite"), (store_url, thread)
