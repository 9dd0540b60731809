"""Migration 0006 on a store of the previous revision: earlier runs keep a NULL outcome, and
``schedule status`` counts those Scrapy "finished" as successes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from crawler.schedule.status import last_success
from crawler.store.db import MIGRATIONS
from crawler.store.models import CrawlRun


def _alembic(url: str, revision: str, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/old.db"
    return str(request.getfixturevalue("postgres_url"))


def test_upgrade_keeps_earlier_runs(url: str) -> None:
    _alembic(url, "0002")
    engine = create_engine(url)
    with engine.begin() as conn:
        for reason in ("finished", "died (exit code 1)"):
            conn.execute(
                text(
                    "INSERT INTO crawl_runs (spider, name, started_at, finish_reason, stats,"
                    " politeness) VALUES ('sets', 'radio', :at, :reason, '{}', '{}')"
                ),
                {"at": datetime(2026, 11, 1, 3, 0), "reason": reason},
            )
    _alembic(url, "0006")
    assert "outcome" in {c["name"] for c in inspect(engine).get_columns("crawl_runs")}
    with Session(engine) as session:
        assert [r.outcome for r in session.scalars(select(CrawlRun))] == [None, None]
        success = last_success(session, "radio")
        assert success is not None and success.finish_reason == "finished"
    engine.dispose()
    _alembic(url, "0002", down=True)
    engine = create_engine(url)
    assert "outcome" not in {c["name"] for c in inspect(engine).get_columns("crawl_runs")}
    engine.dispose()
