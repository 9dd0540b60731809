"""The search index (migration 0004) kept in step with the store by the database: filled
from the rows already there when a store is migrated, and by triggers on every write."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from crawler.serve import queries
from crawler.serve.store import open_store
from crawler.store.db import MIGRATIONS, create_store_engine
from tests.serve.conftest import fill


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def filled(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/store.db"
    else:
        url = request.getfixturevalue("postgres_url")
    fill(url)
    return url


def titles(url: str, q: str) -> list[str]:
    with open_store(url)() as db:
        return [s["title"] for s in queries.search(db, q)["sets"]]


def _alembic(url: str, action: str, revision: str) -> None:
    engine = create_store_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)
    engine.dispose()


def test_a_store_made_before_the_index_gets_it_filled(filled: str) -> None:
    _alembic(filled, "downgrade", "0002")
    engine = create_store_engine(filled)
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT count(*) FROM sets")).scalar()
    engine.dispose()
    assert tables == 20
    # serving migrates the store, and the new index holds what was already stored
    assert titles(filled, "liquid room") == ["2000-09-29 - Jeff Mills @ The Liquid Room, Tokyo"]


def test_triggers_follow_updates_and_deletes(filled: str) -> None:
    assert titles(filled, "2000 09 29") == ["2000-09-29 - Jeff Mills @ The Liquid Room, Tokyo"]
    assert titles(filled, "club life") == ["Club Life 651"]
    engine = create_store_engine(filled)
    with engine.begin() as conn:
        conn.execute(text("UPDATE sets SET title = 'Tokyo Night' WHERE title LIKE '%Liquid%'"))
        conn.execute(text("DELETE FROM set_entries WHERE set_id IN"
                          " (SELECT id FROM sets WHERE title = 'Club Life 651')"))  # fmt: skip
        conn.execute(text("DELETE FROM set_djs WHERE set_id IN"
                          " (SELECT id FROM sets WHERE title = 'Club Life 651')"))  # fmt: skip
        conn.execute(text("DELETE FROM sets WHERE title = 'Club Life 651'"))
    engine.dispose()
    assert titles(filled, "tokyo night") == ["Tokyo Night"]
    assert titles(filled, "2000 09 29") == []  # the old title
    assert titles(filled, "club life") == []
