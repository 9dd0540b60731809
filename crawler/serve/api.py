"""The JSON API, ``/api/v1/``: read-only, ids are the store's primary keys.

Bad parameters answer 422 and unknown ids 404, both as JSON (``{"detail": ...}``); list
pages hold at most :data:`MAX_PER_PAGE` rows. The queries already return JSON-ready
values, so the answers are written as they are (FastAPI's encoder would walk them again).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from crawler.normalize import DATE_PATTERN, is_date
from crawler.serve import queries
from crawler.serve.compare import compare
from crawler.serve.queries import Page

__all__ = ["MAX_PER_PAGE", "reads_store", "router", "session"]

MAX_PER_PAGE = 100
MAX_ID = 2**63 - 1
"""Ids are the store's 64-bit integer keys: a larger one is a bad request, not a lookup."""
T = TypeVar("T")
P = ParamSpec("P")


async def session(request: Request) -> AsyncIterator[Session]:
    """A session for one request, over the app's read-only store.

    A coroutine, so that FastAPI opens and closes it on the event loop: a plain generator
    would cost two more trips through the thread pool a request. Opening a session does
    not connect (the endpoint's first query does, where :func:`_read` runs it), and closing
    it only hands the connection back to the pool."""
    with request.app.state.sessions() as db:
        yield db


async def _read(db: Session, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``read(db, ...)``: on the event loop for a SQLite store, in the thread pool otherwise.

    A SQLite read is CPU work on a local file: handing it to a thread cost more than the
    query (the hop and the GIL passing between the pool's threads; a computed set answer
    took 6.2-6.5 ms of a worker's CPU that way, 3.3-3.9 ms on the loop). A PostgreSQL read
    waits for the network, and the loop must go on meanwhile. Several workers
    (``--workers``) keep answering while one of them runs a long SQLite query."""
    if db.get_bind().dialect.name == "sqlite":
        return read(db, *args, **kwargs)
    return await run_in_threadpool(read, db, *args, **kwargs)


def reads_store(endpoint: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """An endpoint whose whole body (its queries, then the JSON, the template or the XML)
    runs where :func:`_read` runs a store read: on the loop for SQLite, in the pool otherwise.
    The endpoint takes its session as ``db``; FastAPI reads its signature through the
    wrapper (``functools.wraps``), so its parameters and dependencies are unchanged."""
    if "db" not in inspect.signature(endpoint).parameters:
        raise TypeError(f"{endpoint.__qualname__} reads no store: it takes no db")

    @functools.wraps(endpoint)
    async def on_store(*args: P.args, **kwargs: P.kwargs) -> T:
        db = kwargs["db"]
        assert isinstance(db, Session)
        return await _read(db, lambda _db: endpoint(*args, **kwargs))

    return on_store


def page(
    page: Annotated[int, Query(ge=1, le=100_000, description="1-based page number")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="rows a page")] = 50,
) -> Page:
    return Page(page, per_page)


def _date(name: str, value: str | None) -> str | None:
    if value is not None and not is_date(value):
        raise HTTPException(422, f"{name}: a date is YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}")
    return value


def _found(value: dict[str, Any] | None, what: str, id_: int) -> JSONResponse:
    if value is None:
        raise HTTPException(404, f"no {what} with id {id_}")
    return JSONResponse(value)


def _listed(items: list[dict[str, Any]], total: int | None, paged: Page) -> JSONResponse:
    return JSONResponse(
        {"items": items, "total": total, "page": paged.number, "per_page": paged.size}
    )


Db = Annotated[Session, Depends(session)]
Paged = Annotated[Page, Depends(page)]
Text = Annotated[str, Query(min_length=1, max_length=200, description="words to look for")]
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="a primary key")]
DateParam = Annotated[
    str | None, Query(pattern=DATE_PATTERN, description="YYYY[-MM[-DD]], inclusive")
]


class Problem(BaseModel):
    """Every error answer: a message, or (422) the parameters that were wrong."""

    detail: str | list[dict[str, Any]]


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such row"},
    422: {"model": Problem, "description": "A parameter is wrong"},
    429: {"model": Problem, "description": "Too many requests: wait Retry-After seconds"},
}
router = APIRouter(prefix="/api/v1", responses=ERRORS)


@router.get("/search", summary="Top matches among sets, tracks and DJs")
@reads_store
def search(db: Db, q: Text, limit: Annotated[int, Query(ge=1, le=50)] = 10) -> JSONResponse:
    """Sets by title, event, venue or DJ; tracks by artist or title; DJs by name. Case
    and accents are folded ("kolsch" finds "Kölsch") and each word matches as a prefix."""
    return JSONResponse(queries.search(db, q, limit))


@router.get("/sets", summary="Sets, filtered, newest (or best matching) first")
@reads_store
def sets(
    db: Db,
    paged: Paged,
    q: Annotated[str | None, Query(max_length=200)] = None,
    dj: Annotated[int | None, Query(ge=1, le=MAX_ID, description="a DJ's id")] = None,
    since: DateParam = None,
    until: DateParam = None,
    source: Annotated[str | None, Query(max_length=64, description="a source key")] = None,
) -> JSONResponse:
    items, total = queries.list_sets(
        db, paged, q=q, dj=dj, since=_date("since", since), until=_date("until", until),
        source=source,
    )  # fmt: skip
    return _listed(items, total, paged)


@router.get("/sets/{set_id}", summary="A set with its tracks in order and its sources")
@reads_store
def set_(db: Db, set_id: Id) -> JSONResponse:
    return _found(queries.set_detail(db, set_id), "set", set_id)


def compared(db: Session, a: int, b: int) -> dict[str, Any]:
    """The comparison of sets ``a`` and ``b``; 404 names the one that is missing."""
    found = []
    for id_ in (a, b):
        detail = queries.set_detail(db, id_)
        if detail is None:
            raise HTTPException(404, f"no set with id {id_}")
        found.append(detail)
    return compare(*found)


@router.get(
    "/sets/{a}/compare/{b}",
    summary="Two tracklists aligned: the same track, moved, or only in one; completeness",
)
@reads_store
def compare_sets(db: Db, a: Id, b: Id) -> JSONResponse:
    """``rows`` follow set ``a`` (``status``: ``same``, ``moved``, ``only_a``, ``only_b``);
    each set's ``completeness`` says whether its tracklist names every track (no IDs) and,
    when it has cue times, has one for every slot."""
    return JSONResponse(compared(db, a, b))


@router.get("/djs/{dj_id}", summary="A DJ: sets count, first and last set, most played")
@reads_store
def dj(db: Db, dj_id: Id, paged: Paged) -> JSONResponse:
    return _found(queries.dj_detail(db, dj_id, paged), "DJ", dj_id)


@router.get("/tracks", summary="Tracks by artist or title")
@reads_store
def tracks(
    db: Db, paged: Paged, q: Annotated[str | None, Query(max_length=200)] = None
) -> JSONResponse:
    items, total = queries.list_tracks(db, paged, q=q)
    return _listed(items, total, paged)


@router.get("/tracks/{track_id}", summary="A track: where it was played, and what came next")
@reads_store
def track(db: Db, track_id: Id, paged: Paged) -> JSONResponse:
    """``played_in`` is paged (newest first); ``transitions`` counts the tracks played
    right before and after this one in every set (a ``w/`` row shares the slot of the
    row before it; unknown tracks take part in no pair)."""
    return _found(queries.track_detail(db, track_id, paged), "track", track_id)


@router.get("/stats", summary="Counts, and plays per month")
@reads_store
def stats(db: Db) -> JSONResponse:
    return JSONResponse(queries.stats(db))


@router.get("/runs", summary="Recent crawl runs with their politeness summaries")
@reads_store
def runs(db: Db, paged: Paged) -> JSONResponse:
    items, total = queries.list_runs(db, paged)
    return _listed(items, total, paged)
