"""Where the API, the pages and the feeds run their store reads: on the event loop for
SQLite (a local file, CPU work: a thread hop costs more than the query), in the thread
pool for PostgreSQL (a read waits for the network, and the loop must go on)."""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.orm import Session

from crawler.serve import feeds, pages
from crawler.serve.api import Db, Id, _read, reads_store
from crawler.serve.store import open_store
from tests.serve.conftest import Served


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


# -- the pages and the feeds: the whole endpoint where the store is read -------------------
async def _loop_thread() -> str:
    return threading.current_thread().name  # an async dependency runs on the loop


@reads_store
def _probe(
    db: Db, n: Id, loop: Annotated[str, Depends(_loop_thread)], q: str = "x"
) -> dict[str, Any]:
    answer = db.execute(text("SELECT 1")).scalar_one() + n
    return {"thread": threading.current_thread().name, "loop": loop, "n": answer, "q": q}


def test_a_page_body_runs_where_the_store_is_read_with_its_parameters(store_url: str) -> None:
    app = FastAPI()
    app.state.sessions = open_store(store_url)
    app.get("/probe/{n}")(_probe)
    with Served(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        got = client.get("/probe/1", params={"q": "y"}).json()
        assert (got["n"], got["q"]) == (2, "y")  # path, query and dependencies, as declared
        assert (got["thread"] == got["loop"]) == store_url.startswith("sqlite"), got
        assert client.get("/probe/0").status_code == 422  # Id's bound holds through the wrapper


def test_every_page_and_feed_is_an_async_endpoint() -> None:
    """A plain ``def`` endpoint would go to the pool whatever the store (FastAPI's rule);
    the API docs page reads no store."""
    routes = [r for r in [*pages.router.routes, *feeds.router.routes] if isinstance(r, APIRoute)]
    paths = {r.path for r in routes}
    assert paths >= {"/", "/sets/{set_id}", "/djs/{dj_id}", "/runs", "/feeds/search.atom"}
    sync = [r.path for r in routes if not inspect.iscoroutinefunction(r.endpoint)]
    assert sync == ["/api/v1/docs"]
