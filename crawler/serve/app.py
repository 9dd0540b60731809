"""The app factory: the JSON API, the pages and the health check over one store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException

from crawler import __version__
from crawler.serve import api, feeds, pages
from crawler.serve.caching import CachingMiddleware, SharedAnswers, StoreVersion
from crawler.serve.ratelimit import RateLimit, RateLimitMiddleware
from crawler.serve.store import THREADS, open_store

if TYPE_CHECKING:
    from crawler.serve.jobs import JobConfig

__all__ = ["create_app"]


def create_app(
    database_url: str | None = None,
    sessions: sessionmaker[Session] | None = None,
    jobs: JobConfig | None = None,
    rate_limit: RateLimit | None = None,
    answers_dir: Path | None = None,
    rate_limit_file: Path | None = None,
) -> FastAPI:
    """The ASGI app over the store at ``database_url`` (or over ``sessions``); with
    ``jobs``, the crawl endpoints (and, without scrapyd, the local runner); with
    ``rate_limit``, 429 beyond it per key and per client address; with ``answers_dir``,
    answers are kept in files there for every worker of the server to serve; with
    ``rate_limit_file``, the rate limit's buckets are kept there for every worker too."""
    if sessions is None:
        if database_url is None:
            raise ValueError("create_app needs a database URL or a sessionmaker")
        sessions = open_store(database_url)
    app = FastAPI(
        title="Tracklist archive",
        version=__version__,
        description="Read-only API over a polite tracklist crawler's store.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI loads its scripts from a CDN; /api/v1/docs is ours
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.sessions = sessions
    app.state.jobs = jobs
    if jobs is not None:
        from crawler.serve import jobs as crawl_jobs

        app.include_router(crawl_jobs.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(feeds.router)
    app.add_api_route("/healthz", healthz, methods=["GET"], summary="200 while the store answers")
    # HEAD: what uptime checkers send (apart: one route of two methods breaks the OpenAPI
    # document, two operations under one id)
    app.add_api_route("/healthz", healthz, methods=["HEAD"], include_in_schema=False)
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.state.version = StoreVersion(sessions)
    shared = SharedAnswers(answers_dir) if answers_dir is not None else None
    app.add_middleware(CachingMiddleware, version=app.state.version.current, shared=shared)
    if rate_limit is not None:
        app.add_middleware(
            RateLimitMiddleware, limit=rate_limit, sessions=sessions, shared=rate_limit_file
        )
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The thread pool's size; the local crawl runner lives as long as the app (with
    ``jobs`` and no scrapyd)."""
    # One thread a connection the store keeps open (see THREADS)
    to_thread.current_default_thread_limiter().total_tokens = THREADS
    jobs = app.state.jobs
    runner = None
    if jobs is not None and jobs.scrapyd is None:
        from crawler.serve.jobs import LocalRunner

        runner = jobs.runner = LocalRunner(jobs)
        runner.start()
    try:
        yield
    finally:
        if runner is not None:
            runner.stop()


def healthz(request: Request) -> JSONResponse:
    try:
        with request.app.state.sessions() as db:
            db.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "detail": str(exc)[:200]}, 503)
    return JSONResponse({"status": "ok"})


def _wants_html(request: Request) -> bool:
    return not (request.url.path.startswith("/api/") or request.url.path == "/healthz")


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if _wants_html(request):
        return pages.templates.TemplateResponse(
            request, "error.html", {"status": exc.status_code, "detail": exc.detail},
            status_code=exc.status_code,
        )  # fmt: skip
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)


async def _invalid(request: Request, exc: RequestValidationError) -> Response:
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
        for e in exc.errors()
    ]
    if _wants_html(request):
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return pages.templates.TemplateResponse(
            request, "error.html", {"status": 422, "detail": detail}, status_code=422
        )
    return JSONResponse({"detail": errors}, 422)
