"""tdmrep.json verdicts in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from crawler.store import session_factory
from crawler.store.tdmrep import load_tdmrep, load_tdmrep_files, save_tdmrep_files

NOW = datetime(2026, 12, 6, 12, 0, 0)
DAY = timedelta(days=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return str(request.getfixturevalue("postgres_url"))


def test_fresh_verdicts_of_every_origin_at_once_up_to_a_limit(store_url: str) -> None:
    with session_factory(store_url).begin() as session:
        assert load_tdmrep_files(session, NOW, DAY, 10) == {}
        save_tdmrep_files(
            session,
            {
                "https://a.example": ([("/sets/*", True)], NOW - timedelta(hours=1)),
                "https://b.example": ([], NOW - timedelta(hours=2)),  # a 404: kept too
                "https://old.example": ([("/", True)], NOW - 2 * DAY),
            },
        )
    with session_factory(store_url)() as session:
        assert load_tdmrep_files(session, NOW, DAY, 2) == {
            "https://a.example": [("/sets/*", True)],
            "https://b.example": [],
        }
        assert load_tdmrep_files(session, NOW, DAY, 1) is None  # more: origin by origin
        assert load_tdmrep(session, "https://a.example", NOW, DAY) == [("/sets/*", True)]
        assert load_tdmrep(session, "https://old.example", NOW, DAY) is None
