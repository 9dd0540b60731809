"""The web pages: server-rendered HTML from the same queries as the API, usable without
JavaScript (forms are plain GET forms, charts are inline SVG)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from crawler.serve import queries
from crawler.serve.api import Db, Id, Paged, compared, reads_store
from crawler.serve.charts import bar_chart, every_month, gap_chart
from crawler.serve.queries import format_cue

__all__ = ["router", "templates"]


def _root(request: Request) -> dict[str, Any]:
    """Links start with the path a reverse proxy serves the app under (``--root-path``)."""
    return {"root": request.scope.get("root_path", "")}


templates = Jinja2Templates(
    directory=Path(__file__).parent / "templates", context_processors=[_root]
)
templates.env.filters["cue"] = format_cue
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context)


@router.get("/")
@reads_store
def home(request: Request, db: Db) -> HTMLResponse:
    return _page(
        request,
        "home.html",
        recent=queries.recent_sets(db),
        most_played=queries.most_played(db, 10),
        counts=queries.stats(db)["counts"] if request.query_params.get("counts") else None,
    )


@router.get("/search")
@reads_store
def search(request: Request, db: Db, q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    results = queries.search(db, q, 20) if q.strip() else None
    return _page(request, "search.html", q=q, results=results)


@router.get("/sets/{set_id}")
@reads_store
def set_(request: Request, db: Db, set_id: Id) -> HTMLResponse:
    found = queries.set_detail(db, set_id)
    if found is None:
        raise HTTPException(404, f"no set with id {set_id}")
    return _page(request, "set.html", set=found)


@router.get("/sets/{a}/compare/{b}")
@reads_store
def compare(request: Request, db: Db, a: Id, b: Id) -> HTMLResponse:
    return _page(request, "compare.html", c=compared(db, a, b))


@router.get("/djs/{dj_id}")
@reads_store
def dj(request: Request, db: Db, dj_id: Id, paged: Paged) -> HTMLResponse:
    found = queries.dj_detail(db, dj_id, paged)
    if found is None:
        raise HTTPException(404, f"no DJ with id {dj_id}")
    return _page(request, "dj.html", dj=found)


@router.get("/tracks/{track_id}")
@reads_store
def track(request: Request, db: Db, track_id: Id, paged: Paged) -> HTMLResponse:
    found = queries.track_detail(db, track_id, paged)
    if found is None:
        raise HTTPException(404, f"no track with id {track_id}")
    points = every_month([(p["month"], p["plays"]) for p in found["plays_by_month"]])
    chart = bar_chart(points, f"Plays per month of {found['name']}")
    return _page(request, "track.html", track=found, chart=chart)


def run_hosts(politeness: dict[str, Any]) -> list[tuple[str, float | None, float]]:
    """``(host, allowed gap, shortest gap)`` per host of a run's politeness summary; runs
    recorded before per-host allowed gaps were kept show the delay floor instead."""
    shortest = politeness.get("gap_min") or {}
    allowed = politeness.get("gap_allowed") or {}
    floor = politeness.get("delay_floor")
    return [(host, allowed.get(host, floor), float(gap)) for host, gap in sorted(shortest.items())]


@router.get("/runs")
@reads_store
def runs(request: Request, db: Db, paged: Paged) -> HTMLResponse:
    items, total = queries.list_runs(db, paged)
    for run in items:
        run["hosts"] = run_hosts(run["politeness"])
        run["chart"] = gap_chart(run["hosts"], f"Run {run['id']}: allowed and shortest gaps")
        run["counts"] = {k: v for k, v in run["politeness"].items() if isinstance(v, int | float)}
    return _page(request, "runs.html", runs=items, total=total, page=paged.number)


@router.get("/api/v1/docs")
def api_docs(request: Request) -> HTMLResponse:
    """The API's endpoints and parameters, read from its OpenAPI document."""
    return _page(request, "api.html", openapi=request.app.openapi())
