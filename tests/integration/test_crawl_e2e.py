"""End to end: `scrapy crawl sets` on a loopback site, into SQLite (and PostgreSQL) and feeds."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

import crawler
from crawler.devserver import LoopbackSite
from crawler.store.models import Artist, DJSetRow, SetEntry, Track
from tests.conftest import run_cli, run_scrapy

EXPECTED_TITLES = {
    "Fabric Live 101",
    "Boiler Room Berlin: Helena Hauff",
    "Deep Cuts 212",
    "Sunday Session at Panorama Bar",
}


@pytest.fixture
def demo_site() -> Iterator[LoopbackSite]:
    with LoopbackSite("127.0.0.2", root=Path(crawler.__file__).parent / "demo_site") as site:
        yield site


def crawl(site: LoopbackSite, database: str, *feeds: Path, extra: tuple[str, ...] = ()) -> str:
    args = ["crawl", "sets", "-a", f"start_urls={site.url('/')}", "-s", f"DATABASE_URL={database}",
            "-s", "ALLOW_PRIVATE_HOSTS=True", *extra]  # fmt: skip
    for feed in feeds:
        args += ["-O", str(feed)]
    return run_scrapy(*args).check().stderr


def counts(database: str) -> dict[str, int]:
    engine = create_engine(database)
    with engine.connect() as conn:
        result = {
            model.__tablename__: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (DJSetRow, SetEntry, Track, Artist)
        }
    engine.dispose()
    return result


def test_crawl_into_sqlite_and_every_feed(demo_site: LoopbackSite, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/crawler.db"
    crawl(demo_site, db, tmp_path / "sets.json", tmp_path / "sets.jsonl", tmp_path / "sets.csv")

    sets = json.loads((tmp_path / "sets.json").read_text())
    assert {s["title"] for s in sets} == EXPECTED_TITLES
    assert set(sets[0]) == {"source", "url", "title", "djs", "event", "venue", "date",
                            "duration_s", "genres", "label", "tracks"}  # fmt: skip
    fabric = next(s for s in sets if s["title"] == "Fabric Live 101")
    assert fabric["djs"] == ["Ben Klock"] and fabric["date"] == "2024-03-09"
    grey = fabric["tracks"][0]
    assert (grey["artist"], grey["title"], grey["version"], grey["label"]) == (
        "Kölsch", "Grey", "Tale Of Us Remix", "Kompakt"
    )  # fmt: skip
    # a one-line track ("Dominator - Human Resource") is split by the normalizer
    assert (fabric["tracks"][2]["artist"], fabric["tracks"][2]["title"]) == (
        "Dominator", "Human Resource"
    )  # fmt: skip

    lines = [json.loads(x) for x in (tmp_path / "sets.jsonl").read_text().splitlines()]
    assert sorted(lines, key=lambda s: s["url"]) == sorted(sets, key=lambda s: s["url"])

    rows = list(csv.DictReader((tmp_path / "sets.csv").open(encoding="utf-8")))
    assert len(rows) == sum(len(s["tracks"]) for s in sets)
    assert {r["set_title"] for r in rows} == EXPECTED_TITLES

    paths = {r.path for r in demo_site.requests()}
    assert "/private/drafts.html" not in paths  # robots.txt Disallow
    assert "/sets/sponsored.html" not in paths  # rel="nofollow"
    assert counts(db)["sets"] == 4


def test_recrawl_changes_nothing(demo_site: LoopbackSite, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/crawler.db"
    crawl(demo_site, db)
    before = counts(db)
    log = crawl(demo_site, db)
    assert counts(db) == before
    assert "'store/unchanged': 4" in log


def test_export_command_writes_the_crawl_feeds(demo_site: LoopbackSite, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/crawler.db"
    crawl(demo_site, db, tmp_path / "crawl.json", tmp_path / "crawl.csv")
    for fmt in ("json", "jsonl", "csv"):
        run_cli(
            "export", "--database", db, "--format", fmt, "-o", str(tmp_path / f"x.{fmt}")
        ).check()
    by_url = lambda sets: sorted(sets, key=lambda s: s["url"])  # noqa: E731
    crawled = json.loads((tmp_path / "crawl.json").read_text())
    assert by_url(json.loads((tmp_path / "x.json").read_text())) == by_url(crawled)
    jsonl = [json.loads(x) for x in (tmp_path / "x.jsonl").read_text().splitlines()]
    assert by_url(jsonl) == by_url(crawled)
    assert sorted((tmp_path / "x.csv").read_text().splitlines()) == sorted(
        (tmp_path / "crawl.csv").read_text().splitlines()
    )


@pytest.mark.postgres
def test_crawl_into_postgresql_twice(
    demo_site: LoopbackSite, tmp_path: Path, postgres_url: str
) -> None:
    crawl(demo_site, postgres_url, tmp_path / "sets.json")
    first = counts(postgres_url)
    assert first["sets"] == 4 and first["set_entries"] == 12
    crawl(demo_site, postgres_url)
    assert counts(postgres_url) == first
    run_cli("export", "--database", postgres_url, "-o", str(tmp_path / "pg.json")).check()
    exported = json.loads((tmp_path / "pg.json").read_text())
    assert {s["title"] for s in exported} == EXPECTED_TITLES


def test_the_environments_database_url_is_where_crawl_and_export_meet(
    demo_site: LoopbackSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `crawler export` read the environment's DATABASE_URL while a crawl stored into the
    # default data/crawler.db: the sets a user had just crawled seemed to be gone
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/from-env.db")
    run_scrapy("crawl", "sets", "-a", f"start_urls={demo_site.url('/')}",
               "-s", "ALLOW_PRIVATE_HOSTS=True").check()  # fmt: skip
    run_cli("export", "-o", str(tmp_path / "sets.json")).check()
    assert {s["title"] for s in json.loads((tmp_path / "sets.json").read_text())} == EXPECTED_TITLES
    # -s wins over the environment
    elsewhere = f"sqlite:///{tmp_path}/given.db"
    crawl(demo_site, elsewhere)
    assert counts(elsewhere)["sets"] == len(EXPECTED_TITLES)
