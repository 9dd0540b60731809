"""Crawl runs in the store: one row per run, with its stats and politeness summary, which
scheduled crawls (crawler/schedule/) and the web console read back."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.store.models import CrawlRun

__all__ = ["latest_crawl_run", "record_crawl_run"]


def record_crawl_run(
    session: Session,
    spider: str,
    started_at: datetime,
    finished_at: datetime | None,
    stats: dict[str, Any],
    politeness: dict[str, Any],
    name: str | None = None,
    finish_reason: str | None = None,
    outcome: str | None = None,
) -> int:
    """One row per crawl run, with its stats and politeness summary (JSON-safe values)."""
    run = CrawlRun(
        spider=spider,
        name=name,
        started_at=started_at,
        finished_at=finished_at,
        finish_reason=finish_reason,
        outcome=outcome,
        stats=_jsonable(stats),
        politeness=_jsonable(politeness),
    )
    session.add(run)
    session.flush()
    return run.id


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain


def latest_crawl_run(session: Session, name: str) -> CrawlRun | None:
    """The newest recorded run of the scheduled crawl ``name``."""
    stmt = select(CrawlRun).where(CrawlRun.name == name)
    return session.scalars(stmt.order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())).first()
